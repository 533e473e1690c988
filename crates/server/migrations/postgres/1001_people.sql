-- Purse server tables, PostgreSQL. Same tables and constraints as migrations/sqlite; see there.

CREATE TABLE server_secrets (
    name  TEXT  PRIMARY KEY,
    value BYTEA NOT NULL CHECK (length(value) = 32)
);

CREATE TABLE users (
    id               BIGSERIAL PRIMARY KEY,
    public_id        TEXT   NOT NULL UNIQUE,
    handle           TEXT   NOT NULL UNIQUE CHECK (length(handle) BETWEEN 3 AND 15 AND handle = lower(handle)),
    display_name     TEXT   NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 50),
    password_hash    TEXT   NOT NULL,
    pin_hash         TEXT,
    pin_failures     BIGINT NOT NULL DEFAULT 0 CHECK (pin_failures >= 0),
    pin_locked_until BIGINT,
    roles            BIGINT NOT NULL DEFAULT 0 CHECK (roles BETWEEN 0 AND 3),
    created_at       BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash BYTEA  PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE rate_limits (
    key          TEXT   PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count        BIGINT NOT NULL CHECK (count >= 0)
);

CREATE TABLE transfer_notes (
    transfer_id BIGINT PRIMARY KEY,
    kind        TEXT   NOT NULL,
    note        TEXT   CHECK (note IS NULL OR char_length(note) <= 280)
);
