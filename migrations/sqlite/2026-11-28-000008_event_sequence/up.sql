-- Webhook readers follow `seq`, given to events only once they are committed, by one sequencer
-- at a time in id order: an event whose transaction commits late gets a later `seq`, so a reader
-- that has moved past it by `seq` has not seen it yet and cannot skip it. (`id` order alone
-- cannot promise that on PostgreSQL, where ids are taken before commit.)
ALTER TABLE events DROP COLUMN tx;
ALTER TABLE events ADD COLUMN seq BIGINT;
CREATE UNIQUE INDEX events_seq ON events (seq);
CREATE INDEX events_unsequenced ON events (id) WHERE seq IS NULL;
