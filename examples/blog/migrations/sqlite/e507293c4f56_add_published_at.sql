-- message: add published_at to posts
-- revision: e507293c4f56
-- down_revision: d4f6182b3e45
-- create_date: 2025-08-06T14:30:00Z

-- SQLite has no CONCURRENTLY (a writer locks the whole file anyway), so
-- the partial index is built in the revision's transaction.

-- migrate:upgrade
ALTER TABLE posts ADD COLUMN published_at TEXT;
CREATE INDEX IF NOT EXISTS idx_posts_published_at
    ON posts (published_at DESC) WHERE published_at IS NOT NULL;

-- migrate:downgrade
DROP INDEX IF EXISTS idx_posts_published_at;
ALTER TABLE posts DROP COLUMN published_at;
