-- Counters bumped in the transaction of a change that alters what other rows show. 'sources':
-- every source edit; a claim's cached view stays valid while its version and this counter are
-- unchanged (ARCHITECTURE.md, "The read cache").
CREATE TABLE change_counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO change_counters (name, value) VALUES ('sources', 0);
