DROP TABLE outbox;
DROP TABLE channel_products;
DROP TABLE channels;
DROP TABLE inventory_sources;
DROP TABLE stock_levels;
DROP TABLE products;
DROP TABLE settings;
