-- Purse server tables (people, sessions, limits), SQLite. The ledger's tables live in the same
-- database and belong to crates/ledger; nothing here touches them. Versions from 1000 keep
-- this migrator apart from the ledger's.

-- Keys generated once per database and shared by every server instance: the key that turns
-- ledger transfer ids into opaque activity ids, and the key that signs pagination cursors.
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL CHECK (length(value) = 32)
) STRICT;

CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    public_id        TEXT    NOT NULL UNIQUE,
    -- Lower case, 3-15 of a-z 0-9 _ (checked by purse-api's Handle).
    handle           TEXT    NOT NULL UNIQUE CHECK (length(handle) BETWEEN 3 AND 15 AND handle = lower(handle)),
    display_name     TEXT    NOT NULL CHECK (length(display_name) BETWEEN 1 AND 50),
    password_hash    TEXT    NOT NULL,
    pin_hash         TEXT,
    pin_failures     INTEGER NOT NULL DEFAULT 0 CHECK (pin_failures >= 0),
    pin_locked_until INTEGER,
    -- Bits: 1 creator, 2 merchant. Everyone is a member.
    roles            INTEGER NOT NULL DEFAULT 0 CHECK (roles BETWEEN 0 AND 3),
    created_at       INTEGER NOT NULL
) STRICT;

-- Only the SHA-256 of a session token is stored; the token itself lives in the cookie.
CREATE TABLE sessions (
    token_hash BLOB    PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Fixed-window counters for rate limits, shared by every instance.
CREATE TABLE rate_limits (
    key          TEXT    PRIMARY KEY,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL CHECK (count >= 0)
) STRICT;

-- What the ledger does not hold about a transfer: why it happened, in words.
CREATE TABLE transfer_notes (
    transfer_id INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    note        TEXT    CHECK (note IS NULL OR length(note) <= 280)
) STRICT;
