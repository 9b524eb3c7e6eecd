-- Stock truth for every way a channel order lives and dies (issue 12).
-- Which source a channel ships from when its orders are fulfilled outside Chorus.
ALTER TABLE channels ADD COLUMN ships_from TEXT NOT NULL DEFAULT 'api';
-- Whether orders the channel reserves stock for before payment allocate in Chorus too.
ALTER TABLE channels ADD COLUMN reserve_unpaid BOOLEAN NOT NULL DEFAULT TRUE;
-- Units Chorus took off the ships-from source because the channel reported them shipped (or
-- refunded without restock) beyond what Chorus shipped itself.
ALTER TABLE order_lines ADD COLUMN channel_out BIGINT NOT NULL DEFAULT 0;
-- Units the channel restocked after they had shipped (returns), put back on the source.
ALTER TABLE order_lines ADD COLUMN returned BIGINT NOT NULL DEFAULT 0;
-- Units refunded without restock: gone for good, whether or not they had shipped.
ALTER TABLE order_lines ADD COLUMN written_off BIGINT NOT NULL DEFAULT 0;
-- Whether the channel counted the order against its own stock when last read.
ALTER TABLE orders ADD COLUMN channel_reserved BOOLEAN NOT NULL DEFAULT TRUE;
