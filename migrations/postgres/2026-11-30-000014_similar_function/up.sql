-- The word-level half of similar claims and of the duplicate check, in one call (core/src/
-- service/claims/search.rs, `similar`; SQLite runs the same steps from core, one statement
-- each). It was two round trips and two statements: the frequencies of the text's words,
-- then the candidates for the words chosen from them. Here the function reads the frequencies
-- the caller does not keep (its words', further keys such as the text's n-grams, the number of
-- indexed claims), returns them for the caller to keep, chooses the words as core does, and
-- returns the candidates of `claimdesk_candidates`.
--
-- The choice, as in core: each word with a frequency weighs idf(df) * own_impact; when
-- `min_share` > 0 and the words held by at most `per_term` claims weigh `rare_enough` of the
-- whole, they alone are read; otherwise the rarest words (ties in byte order of the key), the
-- first always, while their postings, each counted up to `per_term`, add up to `budget`. The
-- candidates must weigh `min_share` of the chosen words' weight.
--
-- Rows: a frequency read (`term`, `df`; an absent key is not returned and counts 0), or a
-- candidate (`claim_id`, `score`, `sim_text`), best first.
CREATE FUNCTION claimdesk_similar_candidates(
    words TEXT[],
    own_impact FLOAT8[],
    known_df BIGINT[],
    more_keys TEXT[],
    known_docs BIGINT,
    per_term BIGINT,
    budget BIGINT,
    min_share FLOAT8,
    rare_enough FLOAT8,
    max_rows BIGINT
) RETURNS TABLE (term TEXT, df BIGINT, claim_id TEXT, score FLOAT8, sim_text TEXT)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    docs BIGINT := known_docs;
    read_terms TEXT[];
    read_dfs BIGINT[];
    rare_terms TEXT[];
    rare_idf FLOAT8[];
    common_terms TEXT[];
    common_idf FLOAT8[];
    least_score FLOAT8;
BEGIN
    SELECT COALESCE(array_agg(s.term), '{}'), COALESCE(array_agg(s.total), '{}')
    INTO read_terms, read_dfs
    FROM (
        SELECT st.term, SUM(st.df)::BIGINT AS total FROM search_stats st
        WHERE st.term = ANY (
            ARRAY(
                SELECT w.k FROM unnest(words, known_df) AS w (k, d) WHERE w.d IS NULL
                UNION ALL SELECT m.k FROM unnest(more_keys) AS m (k)
                UNION ALL SELECT '#docs' WHERE known_docs IS NULL
            )
        )
        GROUP BY st.term
    ) s;
    RETURN QUERY SELECT r.t, r.d, NULL::TEXT, NULL::FLOAT8, NULL::TEXT FROM unnest(read_terms, read_dfs) AS r (t, d);
    IF docs IS NULL THEN
        docs := COALESCE((SELECT r.d FROM unnest(read_terms, read_dfs) AS r (t, d) WHERE r.t = '#docs'), 0);
    END IF;
    docs := GREATEST(docs, 0);
    IF docs = 0 THEN
        RETURN;
    END IF;

    WITH weighted AS (
        SELECT x.k, x.df, x.imp,
               ln(1.0::FLOAT8 + ((docs - LEAST(x.df, docs))::FLOAT8 + 0.5) / (LEAST(x.df, docs)::FLOAT8 + 0.5)) AS idf
        FROM (
            SELECT w.k, COALESCE(w.d, r.d, 0) AS df, w.imp
            FROM unnest(words, own_impact, known_df) AS w (k, imp, d)
            LEFT JOIN unnest(read_terms, read_dfs) AS r (t, d) ON r.t = w.k
        ) x
        WHERE x.df > 0
    ), ranked AS (
        SELECT v.k, v.df, v.idf, v.idf * v.imp AS weight,
               row_number() OVER (ORDER BY v.df, v.k COLLATE "C") AS i,
               SUM(LEAST(v.df, per_term)) OVER (ORDER BY v.df, v.k COLLATE "C" ROWS UNBOUNDED PRECEDING) AS spent
        FROM weighted v
    ), totals AS (
        SELECT COALESCE(SUM(t.weight) FILTER (WHERE t.df <= per_term), 0) AS rare_weight,
               COALESCE(SUM(t.weight), 0) AS all_weight
        FROM ranked t
    ), chosen AS (
        SELECT c.* FROM ranked c CROSS JOIN totals t
        WHERE CASE WHEN min_share > 0 AND t.rare_weight >= rare_enough * t.all_weight THEN c.df <= per_term
                   ELSE c.i = 1 OR c.spent <= budget END
    )
    SELECT COALESCE(array_agg(c.k ORDER BY c.i) FILTER (WHERE c.df <= per_term), '{}'),
           COALESCE(array_agg(c.idf ORDER BY c.i) FILTER (WHERE c.df <= per_term), '{}'),
           COALESCE(array_agg(c.k ORDER BY c.i) FILTER (WHERE c.df > per_term), '{}'),
           COALESCE(array_agg(c.idf ORDER BY c.i) FILTER (WHERE c.df > per_term), '{}'),
           min_share * COALESCE(SUM(c.weight), 0)
    INTO rare_terms, rare_idf, common_terms, common_idf, least_score
    FROM chosen c;
    IF cardinality(rare_terms) = 0 AND cardinality(common_terms) = 0 THEN
        RETURN;
    END IF;

    RETURN QUERY
    SELECT NULL::TEXT, NULL::BIGINT, c.claim_id, c.score, c.sim_text
    FROM claimdesk_candidates(rare_terms, rare_idf, common_terms, common_idf, per_term, least_score, max_rows) AS c;
END
$$;
