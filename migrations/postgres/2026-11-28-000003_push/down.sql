DROP TABLE events;
DROP TABLE unlinked_listings;
ALTER TABLE channel_state DROP COLUMN pushes_sent;
ALTER TABLE channel_state DROP COLUMN last_push_error;
ALTER TABLE channel_state DROP COLUMN last_push_at;
ALTER TABLE channel_products DROP COLUMN channel_quantity;
