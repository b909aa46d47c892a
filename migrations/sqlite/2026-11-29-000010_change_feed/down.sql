DROP INDEX claim_events_unsequenced_idx;
DROP INDEX claim_events_feed_idx;
ALTER TABLE claim_events DROP COLUMN feed_position;
ALTER TABLE claim_events DROP COLUMN written;
