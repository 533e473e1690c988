-- Rolling limits (send and withdraw over 7 days, receive over 30 days), counted from what
-- actually moved. Each new key's movement, once its batch has found it within its tiers' limits,
-- writes one row per side it counts on (`send` or `withdraw` for the payer, `receive` for a
-- recipient whose tier has a receive limit); `limit_totals` keeps each person's sum per kind,
-- maintained by the triggers below. A batch locks its people's totals `FOR UPDATE` in order
-- before it writes anything (so two instances can neither both spend the same room nor
-- deadlock), reads them less what the window has passed in a statement of its own, and deletes
-- those passed rows. Rows of a movement refused at its end or canceled are deleted too, which
-- the delete trigger takes off. Deposits keep `daily_totals` (the UTC day).

LOCK TABLE users, payments, withdrawals IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE limit_uses (
    operation_id BIGINT NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    kind         TEXT   NOT NULL CHECK (kind IN ('send', 'receive', 'withdraw')),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    at           BIGINT NOT NULL,
    PRIMARY KEY (operation_id, kind)
);
CREATE INDEX limit_uses_by_person ON limit_uses (user_id, kind, at);

-- What moved before this migration still counts: the last 7 days' payments (not canceled or
-- failed) as sends and withdrawals (not failed or returned), and the last 30 days' payments as
-- receipts (a merchant's excepted). Everyone is tier 0 until verified (migration 1010).
INSERT INTO limit_uses (operation_id, user_id, kind, amount_minor, at)
SELECT p.operation_id, p.sender_id, 'send', p.amount, p.created_at FROM payments p
 WHERE p.state IN ('processing', 'pending', 'completed') AND p.created_at > CAST(EXTRACT(EPOCH FROM now()) * 1000000000 AS BIGINT) - 7 * 86400000000000;
INSERT INTO limit_uses (operation_id, user_id, kind, amount_minor, at)
SELECT p.operation_id, p.recipient_id, 'receive', p.amount, p.created_at FROM payments p
  JOIN users u ON u.id = p.recipient_id
 WHERE p.state IN ('processing', 'pending', 'completed') AND (u.roles & 2) = 0
   AND p.created_at > CAST(EXTRACT(EPOCH FROM now()) * 1000000000 AS BIGINT) - 30 * 86400000000000;
INSERT INTO limit_uses (operation_id, user_id, kind, amount_minor, at)
SELECT w.operation_id, w.user_id, 'withdraw', w.amount, w.created_at FROM withdrawals w
 WHERE w.status IN ('processing', 'pending', 'completed') AND w.created_at > CAST(EXTRACT(EPOCH FROM now()) * 1000000000 AS BIGINT) - 7 * 86400000000000;

CREATE TABLE limit_totals (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    kind       TEXT   NOT NULL CHECK (kind IN ('send', 'receive', 'withdraw')),
    used_minor BIGINT NOT NULL CHECK (used_minor >= 0),
    PRIMARY KEY (user_id, kind)
);
INSERT INTO limit_totals (user_id, kind, used_minor)
SELECT u.id, k.kind, COALESCE((SELECT SUM(x.amount_minor) FROM limit_uses x WHERE x.user_id = u.id AND x.kind = k.kind), 0)
  FROM users u CROSS JOIN (VALUES ('send'), ('receive'), ('withdraw')) AS k (kind);

CREATE FUNCTION users_limit_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO limit_totals (user_id, kind, used_minor)
    VALUES (NEW.id, 'send', 0), (NEW.id, 'receive', 0), (NEW.id, 'withdraw', 0);
    RETURN NULL;
END
$$;
CREATE TRIGGER users_limit_totals AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION users_limit_totals();

CREATE FUNCTION limit_uses_total() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE limit_totals SET used_minor = used_minor + NEW.amount_minor
         WHERE user_id = NEW.user_id AND kind = NEW.kind;
    ELSE
        UPDATE limit_totals SET used_minor = used_minor - OLD.amount_minor
         WHERE user_id = OLD.user_id AND kind = OLD.kind;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER limit_uses_insert AFTER INSERT ON limit_uses
    FOR EACH ROW EXECUTE FUNCTION limit_uses_total();
CREATE TRIGGER limit_uses_delete AFTER DELETE ON limit_uses
    FOR EACH ROW EXECUTE FUNCTION limit_uses_total();
