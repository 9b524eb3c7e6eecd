DROP INDEX events_kind;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_subscriptions;
ALTER TABLE events DROP COLUMN tx;
