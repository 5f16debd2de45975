DROP TABLE package_installs;
