-- Money a person moved without their PIN (sends, tips and request payments at or under the
-- step-up threshold): a movement without the PIN is allowed only while the last 24 hours' sum
-- stays at or under the threshold. One row per operation; rows older than a day are pruned every
-- second by the payments job.
CREATE TABLE pinless_moves (
    operation_id INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    at           INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0)
) STRICT;
-- With the amount, so summing a day reads the index alone.
CREATE INDEX pinless_moves_by_user ON pinless_moves (user_id, at, amount_minor);
CREATE INDEX pinless_moves_by_time ON pinless_moves (at);
