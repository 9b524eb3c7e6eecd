ALTER TABLE orders DROP COLUMN channel_reserved;
ALTER TABLE order_lines DROP COLUMN written_off;
ALTER TABLE order_lines DROP COLUMN returned;
ALTER TABLE order_lines DROP COLUMN channel_out;
ALTER TABLE channels DROP COLUMN reserve_unpaid;
ALTER TABLE channels DROP COLUMN ships_from;
