DROP INDEX records_ids;
