DROP TABLE claim_reviews;
DROP INDEX claims_updated_idx;
