-- The reviewers' queue and the header count: pending submissions by state, then app.
CREATE INDEX app_reviews_state ON app_reviews (state, app_id);
