-- message: create users
-- revision: a1c3e5f70b12
-- down_revision: none
-- create_date: 2025-08-01T09:00:00Z

-- migrate:upgrade
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- migrate:downgrade
DROP TABLE users;
