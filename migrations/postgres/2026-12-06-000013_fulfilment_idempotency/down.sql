DROP INDEX fulfilments_idempotency;
ALTER TABLE fulfilments DROP COLUMN request_digest;
ALTER TABLE fulfilments DROP COLUMN idempotency_key;
