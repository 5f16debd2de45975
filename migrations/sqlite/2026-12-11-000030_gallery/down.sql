DROP TABLE gallery_packages;
