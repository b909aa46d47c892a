-- Webhooks (ARCHITECTURE.md, "Webhooks"). A webhook follows the change feed from its own
-- position (`feed_position`, the last event it has taken); what it takes waits in
-- webhook_deliveries until the receiver acknowledges it. A delivery is sent by whoever holds
-- its lease (`lease_owner` until `lease_until`), so a delivery is sent by one core at a time.
CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY NOT NULL,
    url             TEXT NOT NULL,
    description     TEXT,
    kinds           TEXT NOT NULL,
    secret          TEXT NOT NULL,
    enabled         BOOLEAN NOT NULL,
    disabled_reason TEXT,
    feed_position   BIGINT NOT NULL,
    failures        INTEGER NOT NULL DEFAULT 0,
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_created_idx ON webhooks (created_at, id);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY NOT NULL,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    feed_position   BIGINT NOT NULL,
    claim_id        TEXT NOT NULL,
    kind            TEXT NOT NULL,
    body            TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER,
    last_error      TEXT,
    last_attempt_at TIMESTAMP,
    next_attempt_at TIMESTAMP NOT NULL,
    delivered_at    TIMESTAMP,
    lease_owner     TEXT,
    lease_until     TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    UNIQUE (webhook_id, feed_position)
);
-- What is due, and the head of each claim's queue (per-claim order).
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL;
-- What the retention removes (delivered long ago).
CREATE INDEX webhook_deliveries_delivered_idx ON webhook_deliveries (delivered_at) WHERE delivered_at IS NOT NULL;
CREATE INDEX webhook_deliveries_claim_idx ON webhook_deliveries (webhook_id, claim_id, feed_position)
    WHERE delivered_at IS NULL;
