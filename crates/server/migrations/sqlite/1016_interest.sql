-- Interest on balances (issue 22): the days the daily job has accrued, each wallet's accrual
-- of a day, and each month's payment. Amounts of interest are decimal text (minor units, 14
-- places); balances and payments are whole minor units.

-- The first day the job accrues: the UTC day it first ran (days since the Unix epoch). Days
-- before it are never accrued, so turning interest on never pays for the past.
CREATE TABLE interest_start (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    first_day INTEGER NOT NULL
) STRICT;

-- Ended UTC days accrued for every wallet, with the daily rate they accrued at (0 when the APY
-- was 0). A day is written in the transaction that writes its wallets' accruals.
CREATE TABLE interest_days (
    day        INTEGER PRIMARY KEY,
    daily_rate TEXT    NOT NULL,
    accrued_at INTEGER NOT NULL
) STRICT;

-- A wallet's accrual on one day: the day's end-of-day posted balance times the daily rate. Only
-- days that earned something have a row.
CREATE TABLE interest_accruals (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    day        INTEGER NOT NULL,
    balance    INTEGER NOT NULL CHECK (balance > 0),
    daily_rate TEXT    NOT NULL,
    accrued    TEXT    NOT NULL,
    PRIMARY KEY (user_id, day)
) STRICT;

-- A month's payment to a wallet: its accruals plus the carry of the month before, `paid` whole
-- minor units posted to the ledger (transfer id 2^39 + id) and the rest carried on. A month
-- with nothing accrued and nothing carried has no row.
CREATE TABLE interest_payments (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    month      TEXT    NOT NULL,
    accrued    TEXT    NOT NULL,
    paid       INTEGER NOT NULL CHECK (paid >= 0),
    carry      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, month)
) STRICT;

-- Months whose payments have all posted to the ledger.
CREATE TABLE interest_months (
    month   TEXT    PRIMARY KEY,
    paid_at INTEGER NOT NULL
) STRICT;
