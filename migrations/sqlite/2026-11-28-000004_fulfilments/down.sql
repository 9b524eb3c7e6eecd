ALTER TABLE order_lines DROP COLUMN shipped;
DROP TABLE fulfilment_lines;
DROP TABLE fulfilments;
