DROP TABLE inbound_webhooks;
DROP TABLE channel_state;
DROP TABLE order_events;
DROP TABLE order_lines;
DROP TABLE orders;
