-- message: add published_at to posts
-- revision: e507293c4f56
-- down_revision: d4f6182b3e45
-- create_date: 2025-08-06T14:30:00Z

-- migrate:upgrade
ALTER TABLE posts ADD COLUMN published_at TIMESTAMPTZ;

-- An index built without blocking writes to posts: it cannot run inside a
-- transaction, so this section runs on its own.
-- migrate:upgrade transaction:false
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_posts_published_at
    ON posts (published_at DESC) WHERE published_at IS NOT NULL;

-- migrate:downgrade transaction:false
-- migrate:unchecked -- sqlparser 0.64 rejects DROP INDEX CONCURRENTLY
DROP INDEX CONCURRENTLY IF EXISTS idx_posts_published_at;

-- migrate:downgrade
ALTER TABLE posts DROP COLUMN published_at;
