-- Foundation: products, stock, sources, channels, channel product data, outbox, settings.
-- Times are UTC milliseconds since the Unix epoch; money is integer minor units + currency.
CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE products (
    sku TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One row per product: the figures every stock decision is made from.
CREATE TABLE stock_levels (
    sku TEXT PRIMARY KEY NOT NULL REFERENCES products (sku) ON DELETE CASCADE,
    on_hand BIGINT NOT NULL DEFAULT 0,
    allocated BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

-- One quantity per source: "api", "plugin:<id>".
CREATE TABLE inventory_sources (
    sku TEXT NOT NULL REFERENCES products (sku) ON DELETE CASCADE,
    source TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    as_of BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (sku, source)
);

CREATE TABLE channels (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    base_url TEXT NOT NULL,
    credentials TEXT NOT NULL,
    poll_interval_secs BIGINT NOT NULL,
    import_unpaid BOOLEAN NOT NULL,
    import_fulfilled BOOLEAN NOT NULL,
    stock_buffer BIGINT NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE channel_products (
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    sku TEXT NOT NULL REFERENCES products (sku) ON DELETE CASCADE,
    listing_id TEXT,
    variant_id TEXT,
    inventory_item_id TEXT,
    location_id TEXT,
    image_url TEXT,
    price_minor BIGINT,
    price_currency TEXT,
    weight_grams BIGINT,
    length_mm BIGINT,
    width_mm BIGINT,
    height_mm BIGINT,
    hs_code TEXT,
    country_of_origin TEXT,
    customs_description TEXT,
    declared_value_minor BIGINT,
    declared_value_currency TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (channel_id, sku)
);
CREATE INDEX channel_products_sku ON channel_products (sku);

-- Outbound work (stock pushes, fulfilment pushes, plugin sends, webhook deliveries), written in
-- the same transaction as the change that caused it. A non-null coalesce_key replaces a pending
-- entry for the same target and key (only the latest stock figure is worth sending).
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    coalesce_key TEXT,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX outbox_coalesce ON outbox (target, coalesce_key);
CREATE INDEX outbox_due ON outbox (target, next_attempt_at);
