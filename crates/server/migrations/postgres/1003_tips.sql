-- Tips to creators, PostgreSQL. Same tables and constraints as migrations/sqlite; see there.

CREATE TABLE creators (
    user_id     BIGINT PRIMARY KEY REFERENCES users (id),
    tip_presets TEXT   NOT NULL,
    goal_title  TEXT   CHECK (goal_title IS NULL OR char_length(goal_title) BETWEEN 1 AND 80),
    goal_target BIGINT CHECK (goal_target IS NULL OR goal_target > 0),
    goal_since  BIGINT,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE tips (
    operation_id BIGINT PRIMARY KEY REFERENCES payments (operation_id),
    post_id      TEXT   CHECK (post_id IS NULL OR char_length(post_id) BETWEEN 1 AND 64),
    anonymous    BIGINT NOT NULL CHECK (anonymous IN (0, 1)),
    fee          BIGINT NOT NULL CHECK (fee >= 0)
);

ALTER TABLE transfer_notes ADD COLUMN hide_sender BIGINT NOT NULL DEFAULT 0 CHECK (hide_sender IN (0, 1));
