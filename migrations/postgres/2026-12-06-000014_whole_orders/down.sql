DROP INDEX orders_number;
DROP INDEX orders_customer_email;
ALTER TABLE order_lines DROP COLUMN details;
ALTER TABLE orders DROP COLUMN customer_email;
ALTER TABLE orders DROP COLUMN personal;
ALTER TABLE orders DROP COLUMN details;
ALTER TABLE orders DROP COLUMN number;
