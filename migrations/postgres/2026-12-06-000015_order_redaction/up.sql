-- When an order's personal data was blanked (issue 15); null while it is kept.
ALTER TABLE orders ADD COLUMN redacted_at BIGINT;
