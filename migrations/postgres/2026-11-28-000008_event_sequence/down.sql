DROP INDEX events_unsequenced;
DROP INDEX events_seq;
ALTER TABLE events DROP COLUMN seq;
ALTER TABLE events ADD COLUMN tx BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
