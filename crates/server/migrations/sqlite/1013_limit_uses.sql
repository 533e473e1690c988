-- Rolling limits (send and withdraw over 7 days, receive over 30 days), counted from what
-- actually moved. Each new key's movement, once its batch has found it within its tiers' limits,
-- writes one row per side it counts on (`send` or `withdraw` for the payer, `receive` for a
-- recipient whose tier has a receive limit); `limit_totals` keeps each person's sum per kind,
-- maintained by the triggers below, so a batch reads one row per person and kind whatever the
-- window holds. What the window has passed is deleted by the batches themselves (through an index
-- by time per window, normally an empty range), as are the rows of a movement refused at its end
-- or canceled, which the delete trigger takes off. Deposits keep `daily_totals` (the UTC day).

CREATE TABLE limit_uses (
    operation_id INTEGER NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('send', 'receive', 'withdraw')),
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    at           INTEGER NOT NULL,
    PRIMARY KEY (operation_id, kind)
) STRICT;
-- No index by person here: one cost a page of the log per person per batch (22 % of
-- `POST /transfers` with it, about 7 % without; docs/benchmarks.md). A person's meters read
-- their window through the indexes by time below (what is still counted, everyone's).
-- What each window has passed, at the start of these ranges; and each window's uses by time.
CREATE INDEX limit_uses_week ON limit_uses (at) WHERE kind <> 'receive';
CREATE INDEX limit_uses_month ON limit_uses (at) WHERE kind = 'receive';

-- What moved before this migration still counts: the last 7 days' payments (not canceled or
-- failed) as sends and withdrawals (not failed or returned), and the last 30 days' payments as
-- receipts (a merchant's excepted). Everyone is tier 0 until verified (migration 1010).
INSERT INTO limit_uses (operation_id, user_id, kind, amount_minor, at)
SELECT p.operation_id, p.sender_id, 'send', p.amount, p.created_at FROM payments p
 WHERE p.state IN ('processing', 'pending', 'completed') AND p.created_at > (CAST(strftime('%s', 'now') AS INTEGER) * 1000000000) - 7 * 86400000000000;
INSERT INTO limit_uses (operation_id, user_id, kind, amount_minor, at)
SELECT p.operation_id, p.recipient_id, 'receive', p.amount, p.created_at FROM payments p
  JOIN users u ON u.id = p.recipient_id
 WHERE p.state IN ('processing', 'pending', 'completed') AND (u.roles & 2) = 0
   AND p.created_at > (CAST(strftime('%s', 'now') AS INTEGER) * 1000000000) - 30 * 86400000000000;
INSERT INTO limit_uses (operation_id, user_id, kind, amount_minor, at)
SELECT w.operation_id, w.user_id, 'withdraw', w.amount, w.created_at FROM withdrawals w
 WHERE w.status IN ('processing', 'pending', 'completed') AND w.created_at > (CAST(strftime('%s', 'now') AS INTEGER) * 1000000000) - 7 * 86400000000000;

CREATE TABLE limit_totals (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    kind       TEXT    NOT NULL CHECK (kind IN ('send', 'receive', 'withdraw')),
    used_minor INTEGER NOT NULL CHECK (used_minor >= 0),
    PRIMARY KEY (user_id, kind)
) STRICT, WITHOUT ROWID;
INSERT INTO limit_totals (user_id, kind, used_minor)
SELECT u.id, k.kind, COALESCE((SELECT SUM(x.amount_minor) FROM limit_uses x WHERE x.user_id = u.id AND x.kind = k.kind), 0)
  FROM users u, (SELECT 'send' AS kind UNION ALL SELECT 'receive' UNION ALL SELECT 'withdraw') k;

CREATE TRIGGER users_limit_totals AFTER INSERT ON users
BEGIN
    INSERT INTO limit_totals (user_id, kind, used_minor)
    VALUES (NEW.id, 'send', 0), (NEW.id, 'receive', 0), (NEW.id, 'withdraw', 0);
END;
CREATE TRIGGER limit_uses_insert AFTER INSERT ON limit_uses
BEGIN
    UPDATE limit_totals SET used_minor = used_minor + NEW.amount_minor
     WHERE user_id = NEW.user_id AND kind = NEW.kind;
END;
CREATE TRIGGER limit_uses_delete AFTER DELETE ON limit_uses
BEGIN
    UPDATE limit_totals SET used_minor = used_minor - OLD.amount_minor
     WHERE user_id = OLD.user_id AND kind = OLD.kind;
END;
