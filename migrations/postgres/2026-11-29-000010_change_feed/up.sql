-- The change feed (ARCHITECTURE.md, "Change feed"): every history event gets a position, in the
-- order the events became visible (committed). A writer cannot know that order while its
-- transaction runs (one that began first may commit last), so it leaves `feed_position` empty
-- and records only `written`, the order of the inserts. A sequencer (any core instance, one at a
-- time under an advisory lock) then numbers the committed, unnumbered events in `written` order,
-- after the highest position given so far. A watcher reads positions above its cursor: they are
-- never given below one it could already see.
CREATE SEQUENCE claim_events_written_seq;
ALTER TABLE claim_events ADD COLUMN written BIGINT;
ALTER TABLE claim_events ADD COLUMN feed_position BIGINT;

-- Events already recorded: numbered by time, never against a claim's own version order.
WITH timed AS (
    SELECT claim_id, version, MAX(at) OVER (PARTITION BY claim_id ORDER BY version) AS settled
    FROM claim_events
), ordered AS (
    SELECT claim_id, version, ROW_NUMBER() OVER (ORDER BY settled, claim_id, version) AS n FROM timed
)
UPDATE claim_events e SET written = o.n, feed_position = o.n
FROM ordered o WHERE e.claim_id = o.claim_id AND e.version = o.version;

SELECT setval('claim_events_written_seq', COALESCE((SELECT MAX(written) FROM claim_events), 0) + 1, false);
ALTER TABLE claim_events
    ALTER COLUMN written SET DEFAULT nextval('claim_events_written_seq'),
    ALTER COLUMN written SET NOT NULL;
ALTER SEQUENCE claim_events_written_seq OWNED BY claim_events.written;

CREATE UNIQUE INDEX claim_events_feed_idx ON claim_events (feed_position);
CREATE INDEX claim_events_unsequenced_idx ON claim_events (written) WHERE feed_position IS NULL;
