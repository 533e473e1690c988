-- Tips to creators, SQLite. The money moves in the ledger; a tip's payment row (in payments)
-- and this row say who tipped whom for which post, and whether the creator may know who.

-- A person's creator settings. The creator role bit on users says whether tipping is open.
CREATE TABLE creators (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id),
    -- JSON array of 1 to 6 amounts in minor units, ascending.
    tip_presets TEXT    NOT NULL,
    goal_title  TEXT    CHECK (goal_title IS NULL OR length(goal_title) BETWEEN 1 AND 80),
    goal_target INTEGER CHECK (goal_target IS NULL OR goal_target > 0),
    -- When the goal was set: tips since then count towards it.
    goal_since  INTEGER,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE tips (
    operation_id INTEGER PRIMARY KEY REFERENCES payments (operation_id),
    post_id      TEXT    CHECK (post_id IS NULL OR length(post_id) BETWEEN 1 AND 64),
    anonymous    INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
    -- The platform's part, paid by the creator in the same linked ledger chain.
    fee          INTEGER NOT NULL CHECK (fee >= 0)
) STRICT;

-- Transfers whose sender their recipient must not learn (anonymous tips).
ALTER TABLE transfer_notes ADD COLUMN hide_sender INTEGER NOT NULL DEFAULT 0 CHECK (hide_sender IN (0, 1));
