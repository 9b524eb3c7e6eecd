ALTER TABLE channel_state DROP COLUMN location;
ALTER TABLE channels DROP COLUMN options;
