-- Fulfilments created through Chorus, and what each line has shipped through them.
CREATE TABLE fulfilments (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    channel_id BIGINT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    carrier TEXT,
    tracking_number TEXT,
    tracking_url TEXT,
    channel_ref TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX fulfilments_order ON fulfilments (order_id);

CREATE TABLE fulfilment_lines (
    fulfilment_id BIGINT NOT NULL REFERENCES fulfilments (id) ON DELETE CASCADE,
    order_line_id BIGINT NOT NULL REFERENCES order_lines (id) ON DELETE CASCADE,
    sku TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    PRIMARY KEY (fulfilment_id, order_line_id)
);

-- Units of the line shipped through Chorus (the channel's own count is `fulfilled`).
ALTER TABLE order_lines ADD COLUMN shipped BIGINT NOT NULL DEFAULT 0;
