-- Purse ledger, PostgreSQL. Same tables and constraints as migrations/sqlite; see there.

CREATE TABLE ledger_meta (
    id             BIGINT   PRIMARY KEY CHECK (id = 1),
    last_timestamp BIGINT NOT NULL CHECK (last_timestamp >= 0)
);
INSERT INTO ledger_meta (id, last_timestamp) VALUES (1, 0);

CREATE TABLE accounts (
    id              BIGINT  PRIMARY KEY CHECK (id > 0),
    currency        TEXT    NOT NULL CHECK (length(currency) = 3),
    code            BIGINT  NOT NULL CHECK (code BETWEEN 1 AND 65535),
    flags           BIGINT  NOT NULL CHECK (flags IN (0, 1, 2)),
    debits_pending  BIGINT  NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
    debits_posted   BIGINT  NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_pending BIGINT  NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
    credits_posted  BIGINT  NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    timestamp       BIGINT  NOT NULL,
    CHECK ((flags & 1) = 0 OR debits_pending + debits_posted <= credits_posted),
    CHECK ((flags & 2) = 0 OR credits_pending + credits_posted <= debits_posted)
);

CREATE TABLE transfers (
    id                 BIGINT  PRIMARY KEY CHECK (id <> 0),
    debit_account_id   BIGINT  NOT NULL REFERENCES accounts (id),
    credit_account_id  BIGINT  NOT NULL REFERENCES accounts (id),
    amount             BIGINT  NOT NULL CHECK (amount > 0),
    pending_id         BIGINT  REFERENCES transfers (id),
    currency           TEXT    NOT NULL CHECK (length(currency) = 3),
    code               BIGINT  NOT NULL CHECK (code BETWEEN 1 AND 65535),
    flags              BIGINT  NOT NULL CHECK (flags BETWEEN 0 AND 15 AND (flags >> 1) IN (0, 1, 2, 4)),
    timeout_s          BIGINT  NOT NULL CHECK (timeout_s >= 0 AND (timeout_s = 0 OR (flags & 2) <> 0)),
    timestamp          BIGINT  NOT NULL UNIQUE,
    dr_debits_pending  BIGINT  NOT NULL CHECK (dr_debits_pending >= 0),
    dr_debits_posted   BIGINT  NOT NULL CHECK (dr_debits_posted >= 0),
    dr_credits_pending BIGINT  NOT NULL CHECK (dr_credits_pending >= 0),
    dr_credits_posted  BIGINT  NOT NULL CHECK (dr_credits_posted >= 0),
    cr_debits_pending  BIGINT  NOT NULL CHECK (cr_debits_pending >= 0),
    cr_debits_posted   BIGINT  NOT NULL CHECK (cr_debits_posted >= 0),
    cr_credits_pending BIGINT  NOT NULL CHECK (cr_credits_pending >= 0),
    cr_credits_posted  BIGINT  NOT NULL CHECK (cr_credits_posted >= 0),
    CHECK (debit_account_id <> credit_account_id),
    CHECK ((pending_id IS NULL) = ((flags & 12) = 0)),
    CHECK (id > 0 OR ((flags & 8) <> 0 AND id = -pending_id))
);
CREATE INDEX transfers_by_debit_account ON transfers (debit_account_id, timestamp);
CREATE INDEX transfers_by_credit_account ON transfers (credit_account_id, timestamp);
CREATE UNIQUE INDEX transfers_one_resolution ON transfers (pending_id) WHERE pending_id IS NOT NULL;

CREATE TABLE pending_transfers (
    id          BIGINT   PRIMARY KEY REFERENCES transfers (id),
    state       BIGINT   NOT NULL CHECK (state BETWEEN 0 AND 3),
    expires_at  BIGINT,
    resolved_by BIGINT   UNIQUE REFERENCES transfers (id),
    CHECK ((state = 0) = (resolved_by IS NULL))
);
CREATE INDEX pending_transfers_due ON pending_transfers (expires_at, id)
    WHERE state = 0 AND expires_at IS NOT NULL;

CREATE TABLE failed_transfers (
    id                BIGINT   PRIMARY KEY CHECK (id > 0),
    reason            BIGINT   NOT NULL CHECK (reason > 0),
    flags             BIGINT   NOT NULL,
    debit_account_id  BIGINT   NOT NULL,
    credit_account_id BIGINT   NOT NULL,
    amount            BIGINT   NOT NULL,
    pending_id        BIGINT   NOT NULL,
    currency          TEXT,
    code              BIGINT   NOT NULL,
    timeout_s         BIGINT   NOT NULL,
    timestamp         BIGINT   NOT NULL
);
