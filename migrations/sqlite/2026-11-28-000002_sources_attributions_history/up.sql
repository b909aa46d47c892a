-- Sources, attributions, and the append-only history of every claim.

CREATE TABLE sources (
    id                    TEXT PRIMARY KEY NOT NULL,
    name                  TEXT NOT NULL,
    name_key              TEXT NOT NULL,              -- names::key(name), for ordering
    kind                  TEXT NOT NULL,
    descriptor            TEXT,
    homepage              TEXT,
    aliases               TEXT NOT NULL DEFAULT '[]', -- JSON array
    reliability_grade     TEXT,
    reliability_rationale TEXT,
    notes                 TEXT,
    version               BIGINT NOT NULL CHECK (version >= 1),
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL
);
CREATE INDEX sources_name_key_idx ON sources (name_key, id);
CREATE INDEX sources_kind_idx ON sources (kind, name_key, id);

-- Every name and alias of every source under its key: the primary key is what keeps two
-- sources from sharing a name, whatever the spelling.
CREATE TABLE source_names (
    key       TEXT PRIMARY KEY NOT NULL,
    source_id TEXT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    name      TEXT NOT NULL
);
CREATE INDEX source_names_source_idx ON source_names (source_id);

CREATE TABLE attributions (
    id           TEXT PRIMARY KEY NOT NULL,
    claim_id     TEXT NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    speaker_id   TEXT NOT NULL REFERENCES sources (id),
    stance       TEXT NOT NULL,
    relay_ids    TEXT NOT NULL DEFAULT '[]',          -- JSON array of source ids, in order
    quote        TEXT,
    url          TEXT,
    published_at TEXT,                                -- partial date
    recorded_by  TEXT NOT NULL,
    recorded_at  TIMESTAMP NOT NULL
);
CREATE INDEX attributions_claim_idx ON attributions (claim_id, recorded_at, id);

-- One row per change; (claim_id, version) as the key makes gaps visible and repeats impossible.
CREATE TABLE claim_events (
    claim_id TEXT NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    version  BIGINT NOT NULL,
    actor    TEXT NOT NULL,
    at       TIMESTAMP NOT NULL,
    change   TEXT NOT NULL,                           -- JSON, domain::history::Change
    PRIMARY KEY (claim_id, version)
);

-- The claimant becomes a reference to a source.
ALTER TABLE claims ADD COLUMN claimant_id TEXT REFERENCES sources (id);
CREATE INDEX claims_claimant_idx ON claims (claimant_id, created_at DESC, id DESC);

-- Claims stored before this migration named their claimant in text: each distinct name becomes
-- a source of kind person (edit it afterwards). SQL cannot fold accents as names::key does, so
-- these keys are only lower-cased and trimmed.
INSERT INTO sources (id, name, name_key, kind, aliases, version, created_at, updated_at)
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2)
             || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
       min(trim(claimant)), lower(trim(claimant)), 'person', '[]', 1, min(created_at), min(created_at)
FROM claims
WHERE claimant IS NOT NULL AND trim(claimant) <> ''
GROUP BY lower(trim(claimant));
INSERT INTO source_names (key, source_id, name) SELECT name_key, id, name FROM sources;
UPDATE claims SET claimant_id = (SELECT id FROM sources WHERE name_key = lower(trim(claims.claimant)));
ALTER TABLE claims DROP COLUMN claimant;

-- Their history starts with what they are now.
INSERT INTO claim_events (claim_id, version, actor, at, change)
SELECT id, version, 'system', created_at,
       json_object('kind', 'created',
                   'claim', json_object('text', text, 'language', language, 'context', context,
                                        'claimant_id', claimant_id, 'claimed_at', claimed_at,
                                        'tags', json(tags), 'status', status))
FROM claims;
