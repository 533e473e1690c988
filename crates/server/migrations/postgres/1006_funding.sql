-- Money in and out, PostgreSQL: linked cards and bank accounts (as the rails' tokens and what may
-- be shown: brand, bank name, last four), deposits, withdrawals, and the daily totals their
-- caps are checked against. Card numbers and full account numbers are never stored: the rails
-- keep them (the sandbox rails keep only what their behaviour needs, below).

CREATE TABLE cards (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    rail_token TEXT    NOT NULL UNIQUE,
    brand      TEXT    NOT NULL,
    last4      TEXT    NOT NULL CHECK (length(last4) = 4),
    exp_month  BIGINT NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
    exp_year   BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    removed_at BIGINT
);
CREATE INDEX cards_by_user ON cards (user_id, id);

CREATE TABLE bank_accounts (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    rail_token TEXT    NOT NULL UNIQUE,
    bank_name  TEXT    NOT NULL,
    last4      TEXT    NOT NULL,
    created_at BIGINT NOT NULL,
    removed_at BIGINT
);
CREATE INDEX bank_accounts_by_user ON bank_accounts (user_id, id);

-- Money added or taken out today, per person, kind and UTC day: a movement reserves its
-- amount here in the same statement that checks the cap, and a movement that fails gives it
-- back.
CREATE TABLE daily_totals (
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind    TEXT    NOT NULL CHECK (kind IN ('deposit', 'withdrawal')),
    day     BIGINT NOT NULL,
    used    BIGINT NOT NULL CHECK (used >= 0),
    PRIMARY KEY (user_id, kind, day)
);

CREATE TABLE deposits (
    operation_id BIGINT PRIMARY KEY REFERENCES operations (id),
    user_id      BIGINT NOT NULL REFERENCES users (id),
    card_id      BIGINT NOT NULL REFERENCES cards (id),
    amount       BIGINT NOT NULL CHECK (amount > 0),
    currency     TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('processing', 'completed', 'failed')),
    failure_code TEXT,
    day          BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX deposits_processing ON deposits (status, created_at);

CREATE TABLE withdrawals (
    operation_id    BIGINT PRIMARY KEY REFERENCES operations (id),
    user_id         BIGINT NOT NULL REFERENCES users (id),
    speed           TEXT    NOT NULL CHECK (speed IN ('standard', 'instant')),
    card_id         BIGINT REFERENCES cards (id),
    bank_account_id BIGINT REFERENCES bank_accounts (id),
    amount          BIGINT NOT NULL CHECK (amount > 0),
    fee             BIGINT NOT NULL CHECK (fee >= 0),
    currency        TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('processing', 'pending', 'completed', 'failed', 'returned')),
    failure_code    TEXT,
    arrives_by      BIGINT NOT NULL,
    day             BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    CHECK ((speed = 'standard') = (bank_account_id IS NOT NULL)),
    CHECK ((speed = 'instant') = (card_id IS NOT NULL))
);
CREATE INDEX withdrawals_due ON withdrawals (status, arrives_by);

-- The sandbox card network's vault: what a token stands for. Not the number: only what the
-- sandbox's behaviour needs (approve, decline, decline for insufficient funds).
CREATE TABLE sandbox_card_tokens (
    token      TEXT    PRIMARY KEY,
    brand      TEXT    NOT NULL,
    last4      TEXT    NOT NULL,
    exp_month  BIGINT NOT NULL,
    exp_year   BIGINT NOT NULL,
    behaviour  TEXT    NOT NULL CHECK (behaviour IN ('approve', 'decline', 'insufficient_funds')),
    linked     BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Charges (deposits) and pushes (instant payouts) the sandbox card network answered, by the
-- caller's idempotency reference: asked again, it answers the same and moves nothing more.
CREATE TABLE sandbox_card_movements (
    reference  TEXT    PRIMARY KEY,
    token      TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('charge', 'push')),
    amount     BIGINT NOT NULL,
    outcome    TEXT    NOT NULL,
    created_at BIGINT NOT NULL
);

-- The sandbox bank: linked accounts (routing number, last four, whether payouts are returned)
-- and payouts, one per reference, settled after their delay.
CREATE TABLE sandbox_bank_accounts (
    token          TEXT    PRIMARY KEY,
    routing_number TEXT    NOT NULL,
    last4          TEXT    NOT NULL,
    returns        BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE TABLE sandbox_bank_payouts (
    reference  TEXT    PRIMARY KEY,
    token      TEXT    NOT NULL REFERENCES sandbox_bank_accounts (token),
    amount     BIGINT NOT NULL,
    settle_at  BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
