-- The compliance audit log: every operator action and every case opened, one row each, hash
-- chained (`hash` = SHA-256 of `prev_hash` followed by the entry's canonical JSON; see
-- `store/audit.rs`). `seq` is given by the appender (the previous row's plus one, from 1; not a
-- sequence, so a gap is a missing row). Appenders on every instance take this table's lock in
-- SHARE ROW EXCLUSIVE mode (it conflicts with itself, not with readers) before they read the
-- last row, so they take turns; the primary key refuses a second row with the same `seq` should
-- one ever not. Append-only twice over: no UPDATE or DELETE of it exists in the code, and the
-- trigger below refuses them (and TRUNCATE) for everyone but a superuser who disables it.

CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY CHECK (seq >= 1),
    at        BIGINT NOT NULL,
    actor     TEXT   NOT NULL,
    action    TEXT   NOT NULL,
    subject   TEXT   NOT NULL,
    note      TEXT   NOT NULL,
    prev_hash TEXT   NOT NULL CHECK (length(prev_hash) = 64),
    hash      TEXT   NOT NULL UNIQUE CHECK (length(hash) = 64)
);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
-- Per statement, so even an UPDATE or DELETE that matches no row is refused.
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
