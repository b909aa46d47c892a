-- PostgreSQL's (term, impact) index gets the claim id as a key column, so that postings of equal
-- impact are read in claim order there too (see the migration of the same name there). SQLite's
-- index already ends with the claim id (the table is WITHOUT ROWID): nothing to change. The
-- migration exists so that both backends list the same migrations.
SELECT 1;
