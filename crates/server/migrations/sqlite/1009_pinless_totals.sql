-- The PIN allowance in O(1): each movement without the PIN carries its amount on its own
-- operation row (`pinless_minor`, written by the INSERT that opens the key), and
-- `pinless_totals` keeps each person's sum of those amounts, maintained by the triggers below,
-- so the database itself holds `spent_minor = SUM(pinless_minor)` per person. A batch first
-- clears every amount the day has passed (`pinless_minor = NULL`, which the update trigger takes
-- off the total; normally there are none), then reads one row per person. A movement refused at its end is cleared the same way; a key
-- taken back is deleted, which the delete trigger takes off. Replaces `pinless_moves` (1007).

ALTER TABLE operations ADD COLUMN pinless_minor INTEGER CHECK (pinless_minor > 0);
UPDATE operations
   SET pinless_minor = (SELECT m.amount_minor FROM pinless_moves m WHERE m.operation_id = operations.id)
 WHERE id IN (SELECT operation_id FROM pinless_moves);
DROP TABLE pinless_moves;
-- The amounts still counted, by time: what the day has passed is the range at its start, cleared
-- by the next batch that moves money without the PIN (on SQLite one writer clears for everyone;
-- a cleared row leaves the index, so the range is normally empty). By time alone, each batch's
-- rows land at the index's end: a per-person index cost a page of the log per person per batch.
CREATE INDEX operations_pinless_by_time ON operations (created_at) WHERE pinless_minor IS NOT NULL;

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
