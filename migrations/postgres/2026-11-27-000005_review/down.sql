DROP TABLE app_reviews;
