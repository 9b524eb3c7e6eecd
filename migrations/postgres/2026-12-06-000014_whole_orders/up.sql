-- The whole order (issue 15): the channel's number; money, shipping and tags as JSON
-- (`details`); customer, addresses and note as JSON kept apart (`personal`, blanked by a
-- redaction) with the customer's lower-cased email beside it to find their orders; each
-- line's title and money as JSON.
ALTER TABLE orders ADD COLUMN number TEXT;
ALTER TABLE orders ADD COLUMN details TEXT;
ALTER TABLE orders ADD COLUMN personal TEXT;
ALTER TABLE orders ADD COLUMN customer_email TEXT;
ALTER TABLE order_lines ADD COLUMN details TEXT;
CREATE INDEX orders_customer_email ON orders (customer_email);
CREATE INDEX orders_number ON orders (number);
