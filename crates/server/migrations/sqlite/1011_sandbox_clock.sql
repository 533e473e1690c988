-- The sandbox clock's offset (`--sandbox-clock`, implied by `--demo`): how far the business
-- clock stands ahead of the system time, in nanoseconds. One row; it only grows, so ledger
-- timestamps stay monotonic across a restart. A production server never writes it.

CREATE TABLE sandbox_clock (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    offset_ns   INTEGER NOT NULL CHECK (offset_ns >= 0),
    advanced_at INTEGER NOT NULL
) STRICT;

INSERT INTO sandbox_clock (id, offset_ns, advanced_at) VALUES (1, 0, 0);
