-- Sending and requesting money, SQLite. Money itself moves only in the ledger's tables; these
-- rows say who asked for what, under which idempotency key, and what was answered.

-- One row per money-moving request. Its id is the base of the ledger transfer ids the request
-- may use (see src/operations.rs), so the key is committed before any transfer can exist and a
-- retry with the same key reaches the same transfers: the ledger's own idempotency then makes
-- sure money moves once.
CREATE TABLE operations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    idempotency_key TEXT    NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    -- SHA-256 of the endpoint and the canonical body (the PIN left out).
    request_hash    BLOB    NOT NULL CHECK (length(request_hash) = 32),
    -- NULL while the request is being processed.
    response_status INTEGER,
    response_body   TEXT,
    -- While processing: until when a second request with the key is told it is in use.
    locked_until    INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (user_id, idempotency_key)
) STRICT;

-- Payments between people, sent directly or to pay a request.
CREATE TABLE payments (
    operation_id  INTEGER PRIMARY KEY REFERENCES operations (id),
    transfer_id   INTEGER NOT NULL UNIQUE,
    sender_id     INTEGER NOT NULL REFERENCES users (id),
    recipient_id  INTEGER NOT NULL REFERENCES users (id),
    amount        INTEGER NOT NULL CHECK (amount > 0),
    currency      TEXT    NOT NULL,
    note          TEXT    CHECK (note IS NULL OR length(note) <= 280),
    -- The grace window of a first payment (ns); NULL when it completes at once.
    hold_until    INTEGER,
    -- processing: not known to the ledger yet; pending: held; completed; canceled; failed.
    state         TEXT    NOT NULL CHECK (state IN ('processing', 'pending', 'completed', 'canceled', 'failed')),
    request_id    INTEGER,
    created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX payments_between ON payments (sender_id, recipient_id, state);
-- The grace-window job's work list, and the recovery of payments cut off mid-way.
CREATE INDEX payments_due ON payments (hold_until) WHERE state = 'pending';
CREATE INDEX payments_processing ON payments (created_at) WHERE state = 'processing';

-- Requests for money: requester_id asked payer_id.
CREATE TABLE money_requests (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    requester_id        INTEGER NOT NULL REFERENCES users (id),
    payer_id            INTEGER NOT NULL REFERENCES users (id) CHECK (payer_id <> requester_id),
    amount              INTEGER NOT NULL CHECK (amount > 0),
    currency            TEXT    NOT NULL,
    note                TEXT    CHECK (note IS NULL OR length(note) <= 280),
    status              TEXT    NOT NULL CHECK (status IN ('open', 'paid', 'declined', 'canceled')),
    -- The operation paying it, while it does (and after: the one that did).
    paying_operation_id INTEGER REFERENCES operations (id),
    claim_until         INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
) STRICT;
CREATE INDEX money_requests_by_payer ON money_requests (payer_id, id);
CREATE INDEX money_requests_by_requester ON money_requests (requester_id, id);
CREATE INDEX money_requests_updated ON money_requests (updated_at);
