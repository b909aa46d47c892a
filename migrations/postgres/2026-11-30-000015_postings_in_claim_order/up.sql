-- Postings of equal impact (same tf, same length: many, for a common word) are read in claim
-- order, the oldest claim first (ids are UUIDv7), as SQLite reads them from its (term, impact)
-- index, whose entries end with the claim id. The index had the claim id as an included column
-- only, so ties came in heap order: which of them a word's best postings kept depended on the
-- order concurrent writers happened to insert them, and similar claims ranked differently on
-- the two backends and from one load to the next (CLEF dev MAP@5 0.798 to 0.806 on PostgreSQL).
CREATE INDEX search_postings_best_idx ON search_postings (term, impact DESC, claim_id);
DROP INDEX search_postings_impact_idx;
ALTER INDEX search_postings_best_idx RENAME TO search_postings_impact_idx;

-- The candidate function of migration 000009, reading ties in that order.
CREATE OR REPLACE FUNCTION claimdesk_candidates(
    rare_terms TEXT[],
    rare_idf FLOAT8[],
    common_terms TEXT[],
    common_idf FLOAT8[],
    per_term BIGINT,
    min_score FLOAT8,
    max_rows BIGINT
) RETURNS TABLE (claim_id TEXT, score FLOAT8, sim_text TEXT)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH cand AS (
        -- Terms held by few claims: every posting.
        SELECT p.claim_id, p.impact * q.idf AS w
        FROM unnest(rare_terms, rare_idf) AS q (term, idf)
        JOIN search_postings p ON p.term = q.term
        UNION ALL
        -- The others: their best `per_term` postings.
        SELECT d.claim_id, d.impact * c.idf
        FROM unnest(common_terms, common_idf) AS c (term, idf)
        CROSS JOIN LATERAL (
            SELECT sp.claim_id, sp.impact FROM search_postings sp
            WHERE sp.term = c.term ORDER BY sp.impact DESC, sp.claim_id LIMIT per_term
        ) d
    ), best AS (
        SELECT cand.claim_id, SUM(cand.w) AS score FROM cand GROUP BY cand.claim_id
        HAVING SUM(cand.w) >= min_score
        ORDER BY score DESC, cand.claim_id LIMIT max_rows
    )
    SELECT b.claim_id, b.score, sd.sim_text
    FROM best b JOIN search_docs sd ON sd.claim_id = b.claim_id
    ORDER BY b.score DESC, b.claim_id;
END
$$;
