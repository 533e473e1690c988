-- Where each person stands: their verification tier (0 at sign-up, 1 after name, date of birth,
-- address and the SSN's last four, 2 after an identity document), their status (`active`,
-- `under_review`, `restricted`: lives where Purse is not licensed; `frozen`), and the state of
-- their verified address (their region; NULL until verified). The money path reads these for
-- the payer and the recipient inside its write batch, so a change is seen by the next movement.

ALTER TABLE users ADD COLUMN tier BIGINT NOT NULL DEFAULT 0 CHECK (tier BETWEEN 0 AND 2);
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'under_review', 'restricted', 'frozen'));
ALTER TABLE users ADD COLUMN region_state TEXT CHECK (length(region_state) = 2);
