-- Merchant checkout, PostgreSQL. Same tables and constraints as migrations/sqlite; see there.
-- merchant accounts and their API keys, checkout sessions, refunds,
-- and webhooks (endpoints, the outbox of events, one delivery per event and endpoint).
-- Money itself moves only in the ledger's tables.

CREATE TABLE merchants (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id),
    name       TEXT    NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
    created_at BIGINT NOT NULL
);

-- Secret keys: only the SHA-256 of the secret is kept; `prefix` tells keys apart in lists.
CREATE TABLE merchant_keys (
    id          BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES users (id),
    name        TEXT    NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
    prefix      TEXT    NOT NULL,
    secret_hash BYTEA    NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX merchant_keys_by_merchant ON merchant_keys (merchant_id, id);

CREATE TABLE checkout_sessions (
    id                  BIGSERIAL PRIMARY KEY,
    -- `cs_…`: random (the hosted page's URL is all a buyer needs to see and pay it).
    public_id           TEXT    NOT NULL UNIQUE,
    merchant_id         BIGINT NOT NULL REFERENCES users (id),
    -- The idempotency key that created it: a retry finds this row instead of making another.
    operation_id        BIGINT NOT NULL UNIQUE REFERENCES operations (id),
    amount              BIGINT NOT NULL CHECK (amount > 0),
    currency            TEXT    NOT NULL,
    description         TEXT    NOT NULL,
    success_url         TEXT    NOT NULL,
    cancel_url          TEXT    NOT NULL,
    client_reference_id TEXT,
    metadata            TEXT    NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('open', 'complete', 'expired', 'canceled')),
    expires_at          BIGINT NOT NULL,
    -- The buyer's confirmation holding it while it pays (and after: the one that paid).
    paying_operation_id BIGINT REFERENCES operations (id),
    claim_until         BIGINT,
    buyer_id            BIGINT REFERENCES users (id),
    transfer_id         BIGINT,
    -- Reserved by refunds as they start, so concurrent refunds never exceed the payment.
    amount_refunded     BIGINT NOT NULL DEFAULT 0 CHECK (amount_refunded BETWEEN 0 AND amount),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CHECK (status <> 'complete' OR (buyer_id IS NOT NULL AND transfer_id IS NOT NULL))
);
CREATE INDEX checkout_sessions_by_merchant ON checkout_sessions (merchant_id, id);
-- The expiry job's work list.
CREATE INDEX checkout_sessions_open ON checkout_sessions (expires_at) WHERE status = 'open';

CREATE TABLE refunds (
    operation_id BIGINT PRIMARY KEY REFERENCES operations (id),
    session_id   BIGINT NOT NULL REFERENCES checkout_sessions (id),
    amount       BIGINT NOT NULL CHECK (amount > 0),
    currency     TEXT    NOT NULL,
    -- processing: reserved, not yet known to the ledger; failed: refused (reservation returned).
    status       TEXT    NOT NULL CHECK (status IN ('processing', 'succeeded', 'failed')),
    created_at   BIGINT NOT NULL
);
CREATE INDEX refunds_by_session ON refunds (session_id);
CREATE INDEX refunds_processing ON refunds (created_at) WHERE status = 'processing';

CREATE TABLE webhook_endpoints (
    id          BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES users (id),
    url         TEXT    NOT NULL,
    -- The event types, comma-separated with a comma at each end (",a,b,").
    events      TEXT    NOT NULL,
    -- The signing secret: kept as it is, since every delivery is signed with it.
    secret      TEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    -- Removed by the merchant: no new deliveries, and owed ones are dropped.
    removed_at  BIGINT
);
CREATE INDEX webhook_endpoints_by_merchant ON webhook_endpoints (merchant_id);

-- The outbox: written in the same transaction as the change an event describes.
CREATE TABLE webhook_events (
    id          BIGSERIAL PRIMARY KEY,
    public_id   TEXT    NOT NULL UNIQUE,
    merchant_id BIGINT NOT NULL REFERENCES users (id),
    type        TEXT    NOT NULL,
    -- The body every delivery sends, byte for byte.
    payload     TEXT    NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    event_id        BIGINT NOT NULL REFERENCES webhook_events (id),
    endpoint_id     BIGINT NOT NULL REFERENCES webhook_endpoints (id),
    attempts        BIGINT NOT NULL DEFAULT 0,
    -- NULL once delivered or given up.
    next_attempt_at BIGINT,
    last_status     BIGINT,
    last_error      TEXT,
    delivered_at    BIGINT,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at);
