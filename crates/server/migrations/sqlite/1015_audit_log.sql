-- The compliance audit log: every operator action and every case opened, one row each, hash
-- chained (`hash` = SHA-256 of `prev_hash` followed by the entry's canonical JSON; see
-- `store/audit.rs`). `seq` is given by the appender (the previous row's plus one, from 1; not
-- AUTOINCREMENT, so a gap is a missing row), and only the server's write batcher appends: its
-- batch is SQLite's one writer. Append-only twice over: no UPDATE or DELETE of it exists in the
-- code, and the triggers below refuse them.

CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY CHECK (seq >= 1),
    at        INTEGER NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    subject   TEXT    NOT NULL,
    note      TEXT    NOT NULL,
    prev_hash TEXT    NOT NULL CHECK (length(prev_hash) = 64),
    hash      TEXT    NOT NULL UNIQUE CHECK (length(hash) = 64)
) STRICT;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
