-- Purse ledger, SQLite. Constraints mirror the invariants the engine checks in code
-- (src/state_machine.rs) and the auditor re-derives (src/audit.rs). Only crates/ledger writes here.

-- One row: the last timestamp given to a transfer. Read and bumped by every batch.
CREATE TABLE ledger_meta (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    last_timestamp INTEGER NOT NULL CHECK (last_timestamp >= 0)
) STRICT;
INSERT INTO ledger_meta (id, last_timestamp) VALUES (1, 0);

CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY CHECK (id > 0),
    currency        TEXT    NOT NULL CHECK (length(currency) = 3),
    code            INTEGER NOT NULL CHECK (code BETWEEN 1 AND 65535),
    -- 1: debits_must_not_exceed_credits, 2: credits_must_not_exceed_debits (exclusive).
    flags           INTEGER NOT NULL CHECK (flags IN (0, 1, 2)),
    debits_pending  INTEGER NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
    debits_posted   INTEGER NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_pending INTEGER NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
    credits_posted  INTEGER NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    timestamp       INTEGER NOT NULL,
    CHECK ((flags & 1) = 0 OR debits_pending + debits_posted <= credits_posted),
    CHECK ((flags & 2) = 0 OR credits_pending + credits_posted <= debits_posted)
) STRICT;

-- Committed transfers: immutable. Post and void rows carry their pending transfer's accounts,
-- currency and code. `dr_*`/`cr_*` are the debit and credit accounts' balances right after the
-- transfer, which answer balance-as-of queries with one index probe. The timestamp is the
-- rowid, so new rows append to the table and the account indexes order by it for free.
CREATE TABLE transfers (
    timestamp          INTEGER PRIMARY KEY,
    id                 INTEGER NOT NULL UNIQUE CHECK (id <> 0),
    debit_account_id   INTEGER NOT NULL REFERENCES accounts (id),
    credit_account_id  INTEGER NOT NULL REFERENCES accounts (id),
    amount             INTEGER NOT NULL CHECK (amount > 0),
    pending_id         INTEGER REFERENCES transfers (id),
    currency           TEXT    NOT NULL CHECK (length(currency) = 3),
    code               INTEGER NOT NULL CHECK (code BETWEEN 1 AND 65535),
    -- 1 linked, 2 pending, 4 post_pending, 8 void_pending (at most one of the last three).
    flags              INTEGER NOT NULL CHECK (flags BETWEEN 0 AND 15 AND (flags >> 1) IN (0, 1, 2, 4)),
    timeout_s          INTEGER NOT NULL CHECK (timeout_s >= 0 AND (timeout_s = 0 OR (flags & 2) <> 0)),
    dr_debits_pending  INTEGER NOT NULL CHECK (dr_debits_pending >= 0),
    dr_debits_posted   INTEGER NOT NULL CHECK (dr_debits_posted >= 0),
    dr_credits_pending INTEGER NOT NULL CHECK (dr_credits_pending >= 0),
    dr_credits_posted  INTEGER NOT NULL CHECK (dr_credits_posted >= 0),
    cr_debits_pending  INTEGER NOT NULL CHECK (cr_debits_pending >= 0),
    cr_debits_posted   INTEGER NOT NULL CHECK (cr_debits_posted >= 0),
    cr_credits_pending INTEGER NOT NULL CHECK (cr_credits_pending >= 0),
    cr_credits_posted  INTEGER NOT NULL CHECK (cr_credits_posted >= 0),
    CHECK (debit_account_id <> credit_account_id),
    CHECK ((pending_id IS NULL) = ((flags & 12) = 0)),
    -- Negative ids are the ledger's own voids of expired pending transfers: id = -pending_id.
    CHECK (id > 0 OR ((flags & 8) <> 0 AND id = -pending_id))
) STRICT;
CREATE INDEX transfers_by_debit_account ON transfers (debit_account_id);
CREATE INDEX transfers_by_credit_account ON transfers (credit_account_id);
-- A pending transfer is posted, voided or expired at most once.
CREATE UNIQUE INDEX transfers_one_resolution ON transfers (pending_id) WHERE pending_id IS NOT NULL;

-- The state of each pending transfer: 0 open, 1 posted, 2 voided, 3 expired.
CREATE TABLE pending_transfers (
    id          INTEGER PRIMARY KEY REFERENCES transfers (id),
    state       INTEGER NOT NULL CHECK (state BETWEEN 0 AND 3),
    expires_at  INTEGER,
    resolved_by INTEGER UNIQUE REFERENCES transfers (id),
    CHECK ((state = 0) = (resolved_by IS NULL))
) STRICT;
CREATE INDEX pending_transfers_due ON pending_transfers (expires_at, id)
    WHERE state = 0 AND expires_at IS NOT NULL;

-- Requests refused after the idempotency check, kept so a retry gets the same answer.
-- The request is stored flat: zero/NULL where its kind has no such field; `amount` holds the
-- request's u64 bit for bit.
CREATE TABLE failed_transfers (
    id                INTEGER PRIMARY KEY CHECK (id > 0),
    reason            INTEGER NOT NULL CHECK (reason > 0),
    flags             INTEGER NOT NULL,
    debit_account_id  INTEGER NOT NULL,
    credit_account_id INTEGER NOT NULL,
    amount            INTEGER NOT NULL,
    pending_id        INTEGER NOT NULL,
    currency          TEXT,
    code              INTEGER NOT NULL,
    timeout_s         INTEGER NOT NULL,
    timestamp         INTEGER NOT NULL
) STRICT;
