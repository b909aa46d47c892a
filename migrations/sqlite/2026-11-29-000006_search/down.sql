DROP TABLE search_stats;
DROP TABLE search_docs;
DROP TABLE search_postings;
DROP INDEX claims_merged_into_idx;
ALTER TABLE claims DROP COLUMN merged_into;
