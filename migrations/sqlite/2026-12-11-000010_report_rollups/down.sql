DROP TABLE report_rollups;
DROP TABLE report_rollup_states;
