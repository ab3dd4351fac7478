-- revision: 0001aaaa
-- down_revision: none
-- message: create users

-- migrate:upgrade
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL
);

-- migrate:downgrade
DROP TABLE users;
