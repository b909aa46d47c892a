-- The change feed (ARCHITECTURE.md, "Change feed"): every history event gets a position, in
-- commit order. SQLite has one writer at a time (every write transaction begins IMMEDIATE), so
-- a writer numbers its events itself, after the highest position, and that is commit order.
-- `written` is the same number (PostgreSQL's writers cannot number theirs; see there).
ALTER TABLE claim_events ADD COLUMN written BIGINT NOT NULL DEFAULT 0;
ALTER TABLE claim_events ADD COLUMN feed_position BIGINT;

-- Events already recorded: numbered by time, never against a claim's own version order.
UPDATE claim_events SET written = o.n, feed_position = o.n
FROM (
    SELECT claim_id, version, ROW_NUMBER() OVER (ORDER BY settled, claim_id, version) AS n
    FROM (SELECT claim_id, version, MAX(at) OVER (PARTITION BY claim_id ORDER BY version) AS settled
          FROM claim_events)
) AS o
WHERE claim_events.claim_id = o.claim_id AND claim_events.version = o.version;

CREATE UNIQUE INDEX claim_events_feed_idx ON claim_events (feed_position);
CREATE INDEX claim_events_unsequenced_idx ON claim_events (written) WHERE feed_position IS NULL;
