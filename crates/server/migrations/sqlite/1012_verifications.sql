-- Identity verifications, SQLite: one row per verification a person submitted that the provider
-- answered (POST /me/verification), the latest last. Level 1 keeps the legal name, the date of
-- birth, the address and the last four digits of the SSN; level 2 the document's type and the
-- last four characters of its number. Never more: a full SSN or document number is nowhere.

CREATE TABLE verifications (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id             INTEGER NOT NULL REFERENCES users (id),
    level               INTEGER NOT NULL CHECK (level IN (1, 2)),
    status              TEXT    NOT NULL CHECK (status IN ('verified', 'rejected', 'under_review')),
    reason_code         TEXT    CHECK (reason_code IS NULL OR length(reason_code) BETWEEN 1 AND 40),
    legal_name          TEXT    CHECK (legal_name IS NULL OR length(legal_name) BETWEEN 1 AND 100),
    -- YYYY-MM-DD.
    date_of_birth       TEXT    CHECK (date_of_birth IS NULL OR length(date_of_birth) = 10),
    address_line1       TEXT    CHECK (address_line1 IS NULL OR length(address_line1) BETWEEN 1 AND 100),
    address_city        TEXT    CHECK (address_city IS NULL OR length(address_city) BETWEEN 1 AND 100),
    address_state       TEXT    CHECK (address_state IS NULL OR length(address_state) = 2),
    address_postal_code TEXT    CHECK (address_postal_code IS NULL OR length(address_postal_code) IN (5, 10)),
    ssn_last4           TEXT    CHECK (ssn_last4 IS NULL OR length(ssn_last4) = 4),
    document_type       TEXT    CHECK (document_type IS NULL OR document_type IN ('passport', 'driver_license')),
    document_last4      TEXT    CHECK (document_last4 IS NULL OR length(document_last4) = 4),
    created_at          INTEGER NOT NULL,
    CHECK ((level = 1) = (legal_name IS NOT NULL AND date_of_birth IS NOT NULL AND address_state IS NOT NULL
                          AND ssn_last4 IS NOT NULL AND document_type IS NULL AND document_last4 IS NULL)),
    CHECK ((level = 2) = (document_type IS NOT NULL AND document_last4 IS NOT NULL AND legal_name IS NULL
                          AND ssn_last4 IS NULL))
) STRICT;
CREATE INDEX verifications_by_user ON verifications (user_id, level, id);
