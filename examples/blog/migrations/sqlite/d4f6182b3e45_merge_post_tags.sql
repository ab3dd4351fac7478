-- message: merge posts and tags: post_tags
-- revision: d4f6182b3e45
-- down_revision: b2d4f6081c23, c3e5071a2d34
-- create_date: 2025-08-03T09:00:00Z

-- migrate:upgrade
CREATE TABLE post_tags (
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, tag_id)
);

-- migrate:downgrade
DROP TABLE post_tags;
