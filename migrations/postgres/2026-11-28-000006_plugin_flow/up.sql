-- Plugin flow: which plugin an order was routed to, each plugin's delivery status, and the
-- product data plugins report for their SKUs.
ALTER TABLE orders ADD COLUMN plugin_id BIGINT;
CREATE INDEX orders_plugin ON orders (plugin_id);

ALTER TABLE plugins ADD COLUMN orders_sent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE plugins ADD COLUMN last_sent_at BIGINT;
ALTER TABLE plugins ADD COLUMN last_error TEXT;

CREATE TABLE plugin_products (
    plugin_id BIGINT NOT NULL REFERENCES plugins (id) ON DELETE CASCADE,
    sku TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (plugin_id, sku)
);
CREATE INDEX plugin_products_sku ON plugin_products (sku);
