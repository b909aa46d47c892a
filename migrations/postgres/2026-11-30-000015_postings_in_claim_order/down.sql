CREATE INDEX search_postings_best_idx ON search_postings (term, impact DESC) INCLUDE (claim_id);
DROP INDEX search_postings_impact_idx;
ALTER INDEX search_postings_best_idx RENAME TO search_postings_impact_idx;

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
            WHERE sp.term = c.term ORDER BY sp.impact DESC LIMIT per_term
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
