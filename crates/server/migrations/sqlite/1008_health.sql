-- The write probe of `GET /api/v1/healthz`: one row, rewritten at most once a second, so health
-- notices when the database takes no writes (a full disk, a read-only file) while reads work.

CREATE TABLE health_probe (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    probed_at INTEGER NOT NULL
) STRICT;
