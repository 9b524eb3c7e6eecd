ALTER TABLE order_lines DROP COLUMN variant_id;
ALTER TABLE order_lines DROP COLUMN product_id;
