-- Search and similar claims (ARCHITECTURE.md, "Search and similar claims"). Terms are made by
-- core's analysis (stemmed, folded) and written in the transaction of every change to what a
-- claim's search document holds, so that a claim is found the moment its change commits, from
-- any core instance.

-- A merged claim points to its canonical claim; lists and searches leave it out.
ALTER TABLE claims ADD COLUMN merged_into TEXT COLLATE "C" REFERENCES claims (id);
-- A claim's search document holds the texts merged into it: found through this index.
CREATE INDEX claims_merged_into_idx ON claims (merged_into) WHERE merged_into IS NOT NULL;

-- term -> claims holding it: tf, how often; impact, BM25's weight of the posting before the
-- term's idf (tf and the claim's length); read best first through the (term, impact) index.
CREATE TABLE search_postings (
    term     TEXT COLLATE "C" NOT NULL,
    claim_id TEXT COLLATE "C" NOT NULL,
    tf       INTEGER NOT NULL,
    impact   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (term, claim_id)
);
-- A claim's postings (a re-index), and the probe of a search candidate for a term, from the
-- index alone.
CREATE INDEX search_postings_claim_idx ON search_postings (claim_id, term) INCLUDE (impact);
CREATE INDEX search_postings_impact_idx ON search_postings (term, impact DESC) INCLUDE (claim_id);

-- What each claim was last indexed from: its length in terms and the text its similarity is
-- measured on (text and context), so that a re-index can take back exactly what it added.
CREATE TABLE search_docs (
    claim_id TEXT COLLATE "C" PRIMARY KEY,
    len      INTEGER NOT NULL,
    sim_text TEXT NOT NULL
);

-- Document frequencies: "w:" words, "g:" character n-grams, "#docs" and "#len" the number and
-- total length of the documents. Split over shards (by claim) so that concurrent writers on
-- PostgreSQL seldom wait on the same row; readers add the shards up.
CREATE TABLE search_stats (
    term  TEXT COLLATE "C" NOT NULL,
    shard INTEGER NOT NULL,
    df    BIGINT NOT NULL,
    PRIMARY KEY (term, shard)
);
