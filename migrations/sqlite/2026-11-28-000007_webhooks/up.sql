-- Webhook subscriptions (per store or for all), their delivery cursor over the event log, and
-- the log of every delivery attempt.
ALTER TABLE events ADD COLUMN tx BIGINT NOT NULL DEFAULT 0;

CREATE TABLE webhook_subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    channel_id BIGINT REFERENCES channels (id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason TEXT,
    event_cursor BIGINT NOT NULL DEFAULT 0,
    failing_since BIGINT,
    last_error TEXT,
    last_delivery_at BIGINT,
    delivered BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    subscription_id BIGINT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL,
    webhook_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    attempted_at BIGINT NOT NULL,
    status_code INTEGER,
    duration_ms BIGINT NOT NULL,
    error TEXT,
    response TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id);
CREATE INDEX events_kind ON events (kind, id);
