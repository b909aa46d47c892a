-- Every claim creation moves a few hundred document frequencies in search_stats: one UPDATE per
-- row. On full pages each update put the row's new version on another page with a new entry in
-- the primary key's index, and left the old one for autovacuum: under a steady stream of
-- creations the table and its index grew, and autovacuum's long passes stalled searches.
-- With room kept on every page, PostgreSQL writes the new version beside the old one (a HOT
-- update: no index entry, and the dead version is pruned when the page is next touched), and
-- autovacuum comes by sooner, with less to do each time. The room applies to pages written from
-- now on; `VACUUM FULL search_stats` rewrites the existing ones.
ALTER TABLE search_stats SET (
    fillfactor = 70,
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_analyze_scale_factor = 0.05
);
