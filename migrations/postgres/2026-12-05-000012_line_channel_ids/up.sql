-- The channel's own ids of what an order line sold: the product, and the variant (a Shopify
-- ProductVariant, a WooCommerce variation) where there is one (issue 14).
ALTER TABLE order_lines ADD COLUMN product_id TEXT;
ALTER TABLE order_lines ADD COLUMN variant_id TEXT;
