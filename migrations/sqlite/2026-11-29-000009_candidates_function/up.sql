-- PostgreSQL runs the candidate statement of similar claims through a function with a generic
-- plan (see the migration of the same name there). SQLite runs the statement written out:
-- nothing to change. The migration exists so that both backends list the same migrations.
SELECT 1;
