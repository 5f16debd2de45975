DROP TABLE package_trusted_keys;
