-- Idempotency-Key (REST) / request_id (gRPC) of creations, kept 24 hours: the same key with the
-- same request answers the resource it created; with another request, 422. `key` is scoped to
-- the token and the operation ("{token id}:{operation}:{key}"); `request_hash` is the SHA-256
-- of the request; `resource_id` what it created. Inserted in the creation's own transaction,
-- first, so that a concurrent retry waits for it (PostgreSQL) and then finds the key taken.
CREATE TABLE idempotency_keys (
    key          TEXT COLLATE "C" PRIMARY KEY,
    request_hash TEXT NOT NULL,
    resource_id  TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
