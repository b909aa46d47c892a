DROP TABLE claim_tags;
DROP TABLE claims;
