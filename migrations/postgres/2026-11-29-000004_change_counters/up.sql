-- Counters bumped in the transaction of a change. 'sources': every source edit; a claim's cached
-- view stays valid while its version and this counter are unchanged (ARCHITECTURE.md, "The read
-- cache"). 'tokens': every revocation; bumping it first makes concurrent revocations take
-- turns, so that two of them cannot both revoke the last two admin tokens.
CREATE TABLE change_counters (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO change_counters (name, value) VALUES ('sources', 0), ('tokens', 0);
