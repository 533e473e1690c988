-- Sending and requesting money, PostgreSQL. Same tables and constraints as migrations/sqlite;
-- see there.

CREATE TABLE operations (
    id              BIGSERIAL PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users (id),
    idempotency_key TEXT   NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_hash    BYTEA  NOT NULL CHECK (length(request_hash) = 32),
    response_status BIGINT,
    response_body   TEXT,
    locked_until    BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE (user_id, idempotency_key)
);

CREATE TABLE payments (
    operation_id  BIGINT PRIMARY KEY REFERENCES operations (id),
    transfer_id   BIGINT NOT NULL UNIQUE,
    sender_id     BIGINT NOT NULL REFERENCES users (id),
    recipient_id  BIGINT NOT NULL REFERENCES users (id),
    amount        BIGINT NOT NULL CHECK (amount > 0),
    currency      TEXT   NOT NULL,
    note          TEXT   CHECK (note IS NULL OR char_length(note) <= 280),
    hold_until    BIGINT,
    state         TEXT   NOT NULL CHECK (state IN ('processing', 'pending', 'completed', 'canceled', 'failed')),
    request_id    BIGINT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX payments_between ON payments (sender_id, recipient_id, state);
-- The grace-window job's work list, and the recovery of payments cut off mid-way.
CREATE INDEX payments_due ON payments (hold_until) WHERE state = 'pending';
CREATE INDEX payments_processing ON payments (created_at) WHERE state = 'processing';

CREATE TABLE money_requests (
    id                  BIGSERIAL PRIMARY KEY,
    requester_id        BIGINT NOT NULL REFERENCES users (id),
    payer_id            BIGINT NOT NULL REFERENCES users (id) CHECK (payer_id <> requester_id),
    amount              BIGINT NOT NULL CHECK (amount > 0),
    currency            TEXT   NOT NULL,
    note                TEXT   CHECK (note IS NULL OR char_length(note) <= 280),
    status              TEXT   NOT NULL CHECK (status IN ('open', 'paid', 'declined', 'canceled')),
    paying_operation_id BIGINT REFERENCES operations (id),
    claim_until         BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX money_requests_by_payer ON money_requests (payer_id, id);
CREATE INDEX money_requests_by_requester ON money_requests (requester_id, id);
CREATE INDEX money_requests_updated ON money_requests (updated_at);
