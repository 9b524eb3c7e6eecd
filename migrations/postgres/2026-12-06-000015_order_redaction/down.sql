ALTER TABLE orders DROP COLUMN redacted_at;
