DROP TABLE record_value_gaps;
