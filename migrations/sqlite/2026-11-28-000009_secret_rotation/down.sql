ALTER TABLE webhook_subscriptions DROP COLUMN previous_until;
ALTER TABLE webhook_subscriptions DROP COLUMN previous_secret;
