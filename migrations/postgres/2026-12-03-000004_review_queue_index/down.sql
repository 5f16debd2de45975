DROP INDEX app_reviews_state;
