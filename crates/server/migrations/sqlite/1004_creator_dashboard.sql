-- A creator's dashboard and tip list read the payments a person received, newest first.
CREATE INDEX payments_by_recipient ON payments (recipient_id, operation_id);
