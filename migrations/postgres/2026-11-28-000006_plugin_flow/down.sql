DROP TABLE plugin_products;
DROP INDEX orders_plugin;
ALTER TABLE orders DROP COLUMN plugin_id;
ALTER TABLE plugins DROP COLUMN orders_sent;
ALTER TABLE plugins DROP COLUMN last_sent_at;
ALTER TABLE plugins DROP COLUMN last_error;
