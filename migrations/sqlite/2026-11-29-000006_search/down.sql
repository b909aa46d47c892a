DROP TABLE search_stats;
DROP TABLE search_docs;
DROP TABLE search_postings;
ALTER TABLE claims DROP COLUMN merged_into;
