-- Source search (GET /v1/sources?q=) with the analysis claims are searched with: the terms of
-- every name and alias of a source, made by core (stemmed as French and as English, and plain,
-- each folded; core/src/domain/text.rs, name_terms) and written with the names. Sources stored
-- before this table are indexed by core at start-up.
CREATE TABLE source_terms (
    term      TEXT NOT NULL,
    source_id TEXT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    PRIMARY KEY (term, source_id)
) WITHOUT ROWID;
CREATE INDEX source_terms_source_idx ON source_terms (source_id);
