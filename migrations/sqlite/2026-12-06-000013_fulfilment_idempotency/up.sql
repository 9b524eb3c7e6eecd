-- A fulfilment's idempotency key (the `Idempotency-Key` header or the body's `external_id`),
-- unique per source, and a digest of the request it came with: a repeat with the same key and
-- body answers the original fulfilment, another body under the key is refused (issue 15).
ALTER TABLE fulfilments ADD COLUMN idempotency_key TEXT;
ALTER TABLE fulfilments ADD COLUMN request_digest TEXT;
CREATE UNIQUE INDEX fulfilments_idempotency ON fulfilments (source, idempotency_key);
