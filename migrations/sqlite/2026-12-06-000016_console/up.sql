-- Transaction records: every outbound call to a channel, plugin or subscriber, kept as long
-- as the event log. Sync-lag samples: from a figure queued to its confirmation on a channel.
CREATE TABLE transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    at BIGINT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT,
    status_code INTEGER,
    duration_ms BIGINT NOT NULL,
    error TEXT,
    response TEXT NOT NULL
);
CREATE INDEX transactions_at ON transactions (at);
CREATE INDEX transactions_target ON transactions (target_kind, target_id, id);
CREATE TABLE sync_lag (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    channel_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    lag_ms BIGINT NOT NULL,
    skus INTEGER NOT NULL
);
CREATE INDEX sync_lag_channel_at ON sync_lag (channel_id, at);
-- The figure each channel last confirmed per SKU, and when.
CREATE TABLE channel_confirmations (
    channel_id BIGINT NOT NULL,
    sku TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    confirmed_at BIGINT NOT NULL,
    PRIMARY KEY (channel_id, sku)
);
