-- Periodic reports (kintone's 定期レポート, engine/src/reports/periodic.rs): at each moment a chart's
-- periodicReport names, its numbers over all records (the chart's filter applied) are kept here, so
-- that people can look back at past results. One row per (app, chart, moment): a second run for the
-- same moment inserts nothing. `result` is JSON: the chart as it was then (kintone's report shape)
-- and its rows, rest and total in the shape of /api/app/report/data.json. The latest 100 per chart
-- are kept.
CREATE TABLE report_snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id BIGINT NOT NULL,
    report_id TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    period_label TEXT NOT NULL,
    taken_at BIGINT NOT NULL,
    result TEXT NOT NULL,
    UNIQUE (app_id, report_id, period_start)
);
