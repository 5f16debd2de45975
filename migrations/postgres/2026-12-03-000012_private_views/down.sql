DROP TABLE private_views;
