-- The PIN allowance in O(1): each movement without the PIN carries its amount on its own
-- operation row (`pinless_minor`, written by the INSERT that opens the key), and
-- `pinless_totals` keeps each person's sum of those amounts, maintained by the triggers below,
-- so the database itself holds `spent_minor = SUM(pinless_minor)` per person. A batch reads one
-- row per person and subtracts the amounts past the day that are still counted (normally none);
-- when there are some, the same batch clears them (`pinless_minor = NULL`), which the update
-- trigger takes off the total. A movement refused at its end is cleared the same way; a key
-- taken back is deleted, which the delete trigger takes off. Replaces `pinless_moves` (1007).

ALTER TABLE operations ADD COLUMN pinless_minor INTEGER CHECK (pinless_minor > 0);
UPDATE operations
   SET pinless_minor = (SELECT m.amount_minor FROM pinless_moves m WHERE m.operation_id = operations.id)
 WHERE id IN (SELECT operation_id FROM pinless_moves);
DROP TABLE pinless_moves;
-- A person's movements without the PIN by time: the day's amounts past the window, read and
-- cleared per person.
CREATE INDEX operations_pinless ON operations (user_id, created_at, pinless_minor)
    WHERE pinless_minor IS NOT NULL;

CREATE TABLE pinless_totals (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id),
    spent_minor INTEGER NOT NULL CHECK (spent_minor >= 0)
) STRICT;
INSERT INTO pinless_totals (user_id, spent_minor)
SELECT u.id, COALESCE((SELECT SUM(o.pinless_minor) FROM operations o WHERE o.user_id = u.id), 0)
  FROM users u;

CREATE TRIGGER users_pinless_total AFTER INSERT ON users
BEGIN
    INSERT INTO pinless_totals (user_id, spent_minor) VALUES (NEW.id, 0);
END;
CREATE TRIGGER operations_pinless_insert AFTER INSERT ON operations
WHEN NEW.pinless_minor IS NOT NULL
BEGIN
    UPDATE pinless_totals SET spent_minor = spent_minor + NEW.pinless_minor WHERE user_id = NEW.user_id;
END;
CREATE TRIGGER operations_pinless_update AFTER UPDATE OF pinless_minor ON operations
WHEN OLD.pinless_minor IS NOT NEW.pinless_minor
BEGIN
    UPDATE pinless_totals
       SET spent_minor = spent_minor - COALESCE(OLD.pinless_minor, 0) + COALESCE(NEW.pinless_minor, 0)
     WHERE user_id = NEW.user_id;
END;
CREATE TRIGGER operations_pinless_delete AFTER DELETE ON operations
WHEN OLD.pinless_minor IS NOT NULL
BEGIN
    UPDATE pinless_totals SET spent_minor = spent_minor - OLD.pinless_minor WHERE user_id = OLD.user_id;
END;
