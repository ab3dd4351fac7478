-- message: create tags
-- revision: c3e5071a2d34
-- down_revision: a1c3e5f70b12
-- create_date: 2025-08-02T10:00:00Z

-- Written on a branch next to "create posts": both descend from users,
-- and d4f6182b3e45 merges them.

-- migrate:upgrade
CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- migrate:downgrade
DROP TABLE tags;
