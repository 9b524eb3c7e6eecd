-- Stock push: what each channel last showed for a listing (Shopify's changeFromQuantity), the
-- push status per channel, listings whose SKU Chorus does not know yet, and the event log.
ALTER TABLE channel_products ADD COLUMN channel_quantity BIGINT;

ALTER TABLE channel_state ADD COLUMN last_push_at BIGINT;
ALTER TABLE channel_state ADD COLUMN last_push_error TEXT;
ALTER TABLE channel_state ADD COLUMN pushes_sent BIGINT NOT NULL DEFAULT 0;

-- A channel's listing whose SKU is not a Chorus product: shown so the operator can link it,
-- linked by itself once a product with that SKU exists and the catalogue is read again.
CREATE TABLE unlinked_listings (
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    sku TEXT NOT NULL,
    listing_id TEXT,
    variant_id TEXT,
    inventory_item_id TEXT,
    location_id TEXT,
    channel_quantity BIGINT,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (channel_id, sku)
);
CREATE INDEX unlinked_listings_sku ON unlinked_listings (sku);

-- What happened, written in the transaction that made it happen; webhook delivery reads it.
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    channel_id BIGINT,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_created ON events (created_at);
