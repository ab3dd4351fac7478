-- revision: 0002bbbb
-- down_revision: 0001aaaa
-- message: create posts

-- migrate:upgrade
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    title TEXT NOT NULL
);

-- migrate:downgrade
DROP TABLE posts;
