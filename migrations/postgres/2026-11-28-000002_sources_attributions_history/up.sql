-- Sources, attributions, and the append-only history of every claim.

CREATE TABLE sources (
    id                    TEXT COLLATE "C" PRIMARY KEY,
    name                  TEXT NOT NULL,
    name_key              TEXT COLLATE "C" NOT NULL,
    kind                  TEXT NOT NULL,
    descriptor            TEXT,
    homepage              TEXT,
    aliases               TEXT NOT NULL DEFAULT '[]',
    reliability_grade     TEXT,
    reliability_rationale TEXT,
    notes                 TEXT,
    version               BIGINT NOT NULL CHECK (version >= 1),
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX sources_name_key_idx ON sources (name_key, id);
CREATE INDEX sources_kind_idx ON sources (kind, name_key, id);

-- Every name and alias under its key: the primary key keeps two sources from sharing a name.
CREATE TABLE source_names (
    key       TEXT COLLATE "C" PRIMARY KEY,
    source_id TEXT COLLATE "C" NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    name      TEXT NOT NULL
);
CREATE INDEX source_names_source_idx ON source_names (source_id);

CREATE TABLE attributions (
    id           TEXT COLLATE "C" PRIMARY KEY,
    claim_id     TEXT COLLATE "C" NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    speaker_id   TEXT COLLATE "C" NOT NULL REFERENCES sources (id),
    stance       TEXT NOT NULL,
    relay_ids    TEXT NOT NULL DEFAULT '[]',
    quote        TEXT,
    url          TEXT,
    published_at TEXT,
    recorded_by  TEXT NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX attributions_claim_idx ON attributions (claim_id, recorded_at, id);

-- One row per change; (claim_id, version) as the key makes repeats impossible.
CREATE TABLE claim_events (
    claim_id TEXT COLLATE "C" NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    version  BIGINT NOT NULL,
    actor    TEXT NOT NULL,
    at       TIMESTAMPTZ NOT NULL,
    change   TEXT NOT NULL,
    PRIMARY KEY (claim_id, version)
);

ALTER TABLE claims ADD COLUMN claimant_id TEXT COLLATE "C" REFERENCES sources (id);
CREATE INDEX claims_claimant_idx ON claims (claimant_id, created_at DESC, id DESC);

-- Claims stored before this migration named their claimant in text: each distinct name becomes
-- a source of kind person (as on SQLite, keys are only lower-cased and trimmed here).
INSERT INTO sources (id, name, name_key, kind, aliases, version, created_at, updated_at)
SELECT gen_random_uuid()::text, min(trim(claimant)), lower(trim(claimant)), 'person', '[]', 1,
       min(created_at), min(created_at)
FROM claims
WHERE claimant IS NOT NULL AND trim(claimant) <> ''
GROUP BY lower(trim(claimant));
INSERT INTO source_names (key, source_id, name) SELECT name_key, id, name FROM sources;
UPDATE claims SET claimant_id = (SELECT id FROM sources WHERE name_key = lower(trim(claims.claimant)));
ALTER TABLE claims DROP COLUMN claimant;

INSERT INTO claim_events (claim_id, version, actor, at, change)
SELECT id, version, 'system', created_at,
       json_build_object('kind', 'created',
                         'claim', json_build_object('text', text, 'language', language, 'context', context,
                                                    'claimant_id', claimant_id, 'claimed_at', claimed_at,
                                                    'tags', tags::json, 'status', status))::text
FROM claims;
