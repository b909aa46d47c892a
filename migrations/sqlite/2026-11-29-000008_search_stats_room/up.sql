-- PostgreSQL keeps room on search_stats' pages for its frequent updates (see the migration of
-- the same name there). SQLite updates rows in place: nothing to change. The migration exists
-- so that both backends list the same migrations.
SELECT 1;
