ALTER TABLE claims ADD COLUMN claimant TEXT;
UPDATE claims SET claimant = (SELECT name FROM sources WHERE sources.id = claims.claimant_id);
DROP INDEX claims_claimant_idx;
ALTER TABLE claims DROP COLUMN claimant_id;
DROP TABLE claim_events;
DROP TABLE attributions;
DROP TABLE source_names;
DROP TABLE sources;
