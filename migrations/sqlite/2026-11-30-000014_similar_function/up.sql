-- PostgreSQL reads the frequencies of a similarity text's words and its candidates in one call
-- (see the migration of the same name there). SQLite runs the same steps from core: nothing to
-- change. The migration exists so that both backends list the same migrations.
SELECT 1;
