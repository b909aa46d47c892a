-- Claims: checkable statements. Times are UTC, stored with microsecond precision.
CREATE TABLE claims (
    id            TEXT PRIMARY KEY NOT NULL,      -- UUIDv7, hyphenated lower case
    text          TEXT NOT NULL,
    language      TEXT NOT NULL,                  -- BCP 47, canonical case
    context       TEXT,
    claimant      TEXT,
    claimed_at    TEXT,                           -- partial date as submitted (ISO 8601)
    claimed_start TIMESTAMP,                      -- first instant of claimed_at's period
    claimed_end   TIMESTAMP,                      -- first instant after it
    tags          TEXT NOT NULL DEFAULT '[]',     -- JSON array, so a read is one row
    status        TEXT NOT NULL,
    version       BIGINT NOT NULL CHECK (version >= 1),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

-- Newest-first listing and its keyset cursor.
CREATE INDEX claims_created_idx ON claims (created_at DESC, id DESC);
CREATE INDEX claims_status_created_idx ON claims (status, created_at DESC, id DESC);

-- One row per tag, for the tag filter; claims.tags stays the source for reads.
CREATE TABLE claim_tags (
    claim_id TEXT NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    PRIMARY KEY (claim_id, tag)
);
CREATE INDEX claim_tags_tag_idx ON claim_tags (tag, claim_id);
