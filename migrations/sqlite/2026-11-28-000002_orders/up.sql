-- Orders imported from channels, their lines (each holding what it allocates), their history,
-- and each channel's import cursor and status.
CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    hold_reason TEXT,
    financial_status TEXT NOT NULL,
    fulfillment_status TEXT NOT NULL,
    channel_created_at BIGINT NOT NULL,
    channel_updated_at BIGINT NOT NULL,
    -- What the channel said last, to tell a real change from a re-fetch within the same second.
    channel_digest TEXT NOT NULL,
    cancelled_at BIGINT,
    imported_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX orders_channel_external ON orders (channel_id, external_id);
CREATE INDEX orders_status ON orders (status, id);

CREATE TABLE order_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    sku TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    fulfilled BIGINT NOT NULL DEFAULT 0,
    -- What this line holds in stock_levels.allocated right now.
    allocated BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX order_lines_order_external ON order_lines (order_id, external_id);
CREATE INDEX order_lines_sku ON order_lines (sku);

CREATE TABLE order_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);

CREATE TABLE channel_state (
    channel_id BIGINT PRIMARY KEY NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    cursor_updated_at BIGINT,
    last_poll_at BIGINT,
    last_success_at BIGINT,
    last_error TEXT,
    orders_imported BIGINT NOT NULL DEFAULT 0
);

-- Webhook ids already acted on, so a platform's retry does not trigger twice.
CREATE TABLE inbound_webhooks (
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    webhook_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (channel_id, webhook_id)
);
