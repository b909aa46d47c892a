-- Claims: checkable statements. Ids are UUID text compared byte-wise (COLLATE "C"), as on
-- SQLite, so that keyset pagination orders alike on both backends. Times are timestamptz.
CREATE TABLE claims (
    id            TEXT COLLATE "C" PRIMARY KEY,
    text          TEXT NOT NULL,
    language      TEXT NOT NULL,
    context       TEXT,
    claimant      TEXT,
    claimed_at    TEXT,
    claimed_start TIMESTAMPTZ,
    claimed_end   TIMESTAMPTZ,
    tags          TEXT NOT NULL DEFAULT '[]',
    status        TEXT NOT NULL,
    version       BIGINT NOT NULL CHECK (version >= 1),
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE INDEX claims_created_idx ON claims (created_at DESC, id DESC);
CREATE INDEX claims_status_created_idx ON claims (status, created_at DESC, id DESC);

CREATE TABLE claim_tags (
    claim_id TEXT COLLATE "C" NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    PRIMARY KEY (claim_id, tag)
);
CREATE INDEX claim_tags_tag_idx ON claim_tags (tag, claim_id);
