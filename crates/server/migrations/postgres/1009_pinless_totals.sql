-- The PIN allowance in O(1): each movement without the PIN carries its amount on its own
-- operation row (`pinless_minor`, written by the INSERT that opens the key), and
-- `pinless_totals` keeps each person's sum of those amounts, maintained by the triggers below,
-- so the database itself holds `spent_minor = SUM(pinless_minor)` per person. A batch locks and
-- reads one row per person (in id order, before anything else it writes, so two instances'
-- batches cannot deadlock) and subtracts the amounts past the day that are still counted
-- (normally none); when there are some, the same batch clears them (`pinless_minor = NULL`),
-- which the update trigger takes off the total. A movement refused at its end is cleared the
-- same way; a key taken back is deleted, which the delete trigger takes off. Replaces
-- `pinless_moves` (1007).

-- No sign-up or key may slip between the copy below and the triggers (an instance still
-- running the old code): both tables are held until this migration commits.
LOCK TABLE users, operations IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE operations ADD COLUMN pinless_minor BIGINT CHECK (pinless_minor > 0);
UPDATE operations o
   SET pinless_minor = m.amount_minor
  FROM pinless_moves m
 WHERE m.operation_id = o.id;
DROP TABLE pinless_moves;
-- A person's movements without the PIN by time: the day's amounts past the window, read and
-- cleared per person.
CREATE INDEX operations_pinless ON operations (user_id, created_at, pinless_minor)
    WHERE pinless_minor IS NOT NULL;

CREATE TABLE pinless_totals (
    user_id     BIGINT PRIMARY KEY REFERENCES users (id),
    spent_minor BIGINT NOT NULL CHECK (spent_minor >= 0)
);
INSERT INTO pinless_totals (user_id, spent_minor)
SELECT u.id, COALESCE((SELECT SUM(o.pinless_minor) FROM operations o WHERE o.user_id = u.id), 0)
  FROM users u;

CREATE FUNCTION users_pinless_total() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pinless_totals (user_id, spent_minor) VALUES (NEW.id, 0);
    RETURN NULL;
END
$$;
CREATE TRIGGER users_pinless_total AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION users_pinless_total();

CREATE FUNCTION operations_pinless_total() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE pinless_totals SET spent_minor = spent_minor + NEW.pinless_minor WHERE user_id = NEW.user_id;
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE pinless_totals
           SET spent_minor = spent_minor - COALESCE(OLD.pinless_minor, 0) + COALESCE(NEW.pinless_minor, 0)
         WHERE user_id = NEW.user_id;
    ELSE
        UPDATE pinless_totals SET spent_minor = spent_minor - OLD.pinless_minor WHERE user_id = OLD.user_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER operations_pinless_insert AFTER INSERT ON operations
    FOR EACH ROW WHEN (NEW.pinless_minor IS NOT NULL) EXECUTE FUNCTION operations_pinless_total();
CREATE TRIGGER operations_pinless_update AFTER UPDATE OF pinless_minor ON operations
    FOR EACH ROW WHEN (OLD.pinless_minor IS DISTINCT FROM NEW.pinless_minor)
    EXECUTE FUNCTION operations_pinless_total();
CREATE TRIGGER operations_pinless_delete AFTER DELETE ON operations
    FOR EACH ROW WHEN (OLD.pinless_minor IS NOT NULL) EXECUTE FUNCTION operations_pinless_total();
