DROP INDEX imports_app_user;
DROP TABLE imports;
