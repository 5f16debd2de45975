-- App review before go-live: a submission asks IT to approve one pre-live revision of an app's
-- settings (its definition is kept as submitted); a deploy of an app that requires review needs an
-- APPROVED submission of exactly the current pre-live revision.
CREATE TABLE app_reviews (
    id BIGSERIAL PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    revision BIGINT NOT NULL,
    definition TEXT NOT NULL,
    submitter TEXT NOT NULL,
    comment TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    reviewer TEXT,
    review_comment TEXT,
    reviewed_at BIGINT
);
CREATE INDEX app_reviews_app ON app_reviews (app_id, revision);
