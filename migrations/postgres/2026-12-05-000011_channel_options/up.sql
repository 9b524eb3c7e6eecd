-- The connector's own settings of a channel (a Shopify location, WooCommerce query-string
-- authentication), as a JSON object (issue 14).
ALTER TABLE channels ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
-- The location a Shopify channel manages, as the shop named it when last read.
ALTER TABLE channel_state ADD COLUMN location TEXT;
