-- Secret rotation without a gap: for a day after a rotation, deliveries carry a signature under
-- the previous secret beside the new one (Standard Webhooks allows several).
ALTER TABLE webhook_subscriptions ADD COLUMN previous_secret TEXT;
ALTER TABLE webhook_subscriptions ADD COLUMN previous_until BIGINT;
