-- message: create posts
-- revision: b2d4f6081c23
-- down_revision: a1c3e5f70b12
-- create_date: 2025-08-02T09:00:00Z

-- migrate:upgrade
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'draft',
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_posts_author_id ON posts (author_id);

-- migrate:downgrade
DROP TABLE posts;
