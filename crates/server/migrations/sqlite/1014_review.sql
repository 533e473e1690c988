-- Review: compliance officers, movements held by a monitoring rule or a sanctions hit, the cases
-- officers decide, what the rules remember, and who was screened against which list.

-- A compliance officer: the /ops console and its endpoints.
ALTER TABLE users ADD COLUMN officer INTEGER NOT NULL DEFAULT 0 CHECK (officer IN (0, 1));

-- A held payment: the reason code while it waits for an officer (a pending ledger transfer with
-- no grace window; the grace-window job never posts it). Kept after the decision.
ALTER TABLE payments ADD COLUMN review TEXT;
-- A held withdrawal: its money is held in the ledger and nothing is sent while this is set;
-- approving sends it and clears this (the case keeps the reason).
ALTER TABLE withdrawals ADD COLUMN review TEXT;

-- One case per held movement (or per sanctions hit at verification, which holds no money).
CREATE TABLE cases (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The held movement's operation (its payment or withdrawal); NULL for a verification hit.
    operation_id    INTEGER UNIQUE REFERENCES operations (id),
    movement        TEXT    NOT NULL CHECK (movement IN ('payment', 'withdrawal', 'verification')),
    reason_code     TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'rejected')),
    -- Whom the case is about (the payer; the matched person for a sanctions hit).
    subject_id      INTEGER NOT NULL REFERENCES users (id),
    payer_id        INTEGER REFERENCES users (id),
    counterparty_id INTEGER REFERENCES users (id),
    amount          INTEGER NOT NULL CHECK (amount >= 0),
    currency        TEXT    NOT NULL,
    -- The rule's inputs, every rule hit and the sanctions match, as JSON.
    evidence        TEXT    NOT NULL,
    -- How many different officers must approve.
    approvals_needed INTEGER NOT NULL CHECK (approvals_needed IN (1, 2)),
    opened_at       INTEGER NOT NULL,
    -- Every change moves it: officers' live queues read what changed after their last look.
    updated_at      INTEGER NOT NULL,
    closed_at       INTEGER
) STRICT;
CREATE INDEX cases_queue ON cases (status, id);
CREATE INDEX cases_changes ON cases (updated_at);
CREATE INDEX cases_subject ON cases (subject_id, id);

-- Officers' approvals and rejections, with their notes. One approval per officer per case.
CREATE TABLE case_decisions (
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    operator_id INTEGER NOT NULL REFERENCES users (id),
    decision    TEXT    NOT NULL CHECK (decision IN ('approve', 'reject')),
    note        TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (case_id, operator_id, decision)
) STRICT;

-- What the monitoring rules remember of a person's movements, written in the movement's own
-- batch: near-threshold movements (structuring), payments to someone paid for the first time
-- (new counterparties), withdrawals (pass-through). Only these, so most movements write nothing.
CREATE TABLE watch_log (
    operation_id    INTEGER NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('near', 'new_counterparty', 'withdraw')),
    person_id       INTEGER NOT NULL REFERENCES users (id),
    counterparty_id INTEGER,
    amount          INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    PRIMARY KEY (operation_id, kind)
) STRICT;
CREATE INDEX watch_log_person ON watch_log (person_id, kind, at);

-- Who was screened against which version of the sanctions list, and what it found. A hit stays
-- a hit (every payment to or from the person is held) until an officer clears it.
CREATE TABLE screenings (
    user_id      INTEGER NOT NULL REFERENCES users (id),
    list_version TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    entry        TEXT,
    score        TEXT,
    cleared      INTEGER NOT NULL DEFAULT 0,
    at           INTEGER NOT NULL,
    PRIMARY KEY (user_id, list_version)
) STRICT;
