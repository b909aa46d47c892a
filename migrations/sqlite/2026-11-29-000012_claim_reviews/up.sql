-- ClaimReview in and out (ARCHITECTURE.md, "ClaimReview").
--
-- The DataFeed of reviewed claims pages through claims by their last change.
CREATE INDEX claims_updated_idx ON claims (updated_at, id);

-- Reviews imported from other publishers: each is kept under its key (the review's URL, else a
-- hash of its content) so that importing it again updates it instead of adding a claim.
CREATE TABLE claim_reviews (
    review_key    TEXT PRIMARY KEY NOT NULL,
    claim_id      TEXT NOT NULL REFERENCES claims (id),
    review_url    TEXT,
    publisher     TEXT NOT NULL,
    publisher_url TEXT,
    label         TEXT,
    rating_value  REAL,
    best_rating   REAL,
    worst_rating  REAL,
    verdict       TEXT,
    reviewed_at   TEXT,
    imported_by   TEXT NOT NULL,
    imported_at   TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX claim_reviews_claim_idx ON claim_reviews (claim_id);
