DROP TABLE source_terms;
