// Issue 16, charts: the official client's app.getReports / app.updateReports (kintone's graph settings
// API) against Kumiki — pre-live and live, ids kept across renames, errors in kintone's shape — and the
// numbers of Kumiki's data API equal getRecords' totalCount.

import { before, test } from "node:test";
import assert from "node:assert/strict";
import { KintoneRestAPIError } from "@kintone/rest-api-client";
import { adminClient, app, fixture, rejection } from "./helpers.mjs";

const APP = app("reports");
const client = adminClient();

const rows = [
  ["a", "2026-01-05", 10],
  ["a", "2026-01-20", 20],
  ["b", "2026-02-01", 5],
  ["c", "2026-02-14", 1],
  ["a", "2026-03-03", 7],
];

before(async () => {
  await client.record.addRecords({
    app: APP,
    records: rows.map(([c, d, n]) => ({ Choice: { value: c }, Date: { value: d }, Number: { value: n } })),
  });
});

const byChoice = {
  chartType: "PIE",
  chartMode: "NORMAL",
  groups: [{ code: "Choice" }],
  aggregations: [{ type: "COUNT" }, { type: "SUM", code: "Number" }],
  filterCond: "",
  sorts: [{ by: "TOTAL", order: "DESC" }],
};
const monthly = {
  chartType: "COLUMN",
  chartMode: "STACKED",
  groups: [{ code: "Date", per: "MONTH" }, { code: "Choice" }],
  aggregations: [{ type: "COUNT" }],
  filterCond: "",
  sorts: [{ by: "GROUP1", order: "ASC" }],
};

test("updateReports writes pre-live; getReports reads pre-live and, after deploy, live", async () => {
  const res = await client.app.updateReports({ app: APP, reports: { ByChoice: byChoice, Monthly: monthly } });
  assert.ok(res.reports.ByChoice.id, JSON.stringify(res));
  assert.ok(res.reports.Monthly.id);
  assert.equal(typeof res.revision, "string");
  const preview = await client.app.getReports({ app: APP, preview: true });
  assert.equal(preview.reports.ByChoice.chartType, "PIE");
  assert.deepEqual(preview.reports.Monthly.groups, [{ code: "Date", per: "MONTH" }, { code: "Choice" }]);
  assert.equal(preview.reports.Monthly.chartMode, "STACKED");
  const before = await client.app.getReports({ app: APP });
  assert.deepEqual(before.reports, {}, "nothing live before the deploy");
  await client.app.deployApp({ apps: [{ app: APP }] });
  for (let i = 0; i < 50; i++) {
    const { apps } = await client.app.getDeployStatus({ apps: [APP] });
    if (apps[0].status !== "PROCESSING") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const live = await client.app.getReports({ app: APP });
  assert.equal(live.reports.ByChoice.id, res.reports.ByChoice.id);
  assert.equal(live.reports.ByChoice.index, "0");
  assert.deepEqual(live.reports.ByChoice.aggregations, byChoice.aggregations);
  assert.ok(live.revision);
});

test("a renamed report sent with its id keeps the id", async () => {
  const { reports } = await client.app.getReports({ app: APP, preview: true });
  const id = reports.ByChoice.id;
  const res = await client.app.updateReports({ app: APP, reports: { "選択肢別": { ...reports.ByChoice }, Monthly: reports.Monthly } });
  assert.equal(res.reports["選択肢別"].id, id);
});

test("a bad report is refused with kintone's CB_VA01 and the member named", async () => {
  const err = await rejection(
    client.app.updateReports({
      app: APP,
      reports: { Bad: { ...byChoice, aggregations: [{ type: "SUM", code: "Choice" }] } },
    }),
  );
  assert.ok(err instanceof KintoneRestAPIError, String(err));
  assert.equal(err.code, "CB_VA01");
  assert.ok(err.errors["reports.Bad.aggregations[0].code"], JSON.stringify(err.errors));
});

test("the report's numbers equal getRecords' counts", async () => {
  const { reports } = await client.app.getReports({ app: APP });
  const id = reports.ByChoice.id;
  const resp = await fetch(`${fixture.baseUrl}/api/app/report/data.json?app=${APP}&id=${id}`, {
    headers: { "X-Cybozu-Authorization": Buffer.from(`${fixture.admin.username}:${fixture.admin.password}`).toString("base64") },
  });
  assert.equal(resp.status, 200);
  const data = await resp.json();
  for (const row of data.rows) {
    const { totalCount } = await client.record.getRecords({ app: APP, query: `Choice in ("${row.keys[0]}")`, totalCount: true });
    assert.equal(row.values[0], Number(totalCount), row.keys[0]);
  }
  assert.equal(data.rows[0].keys[0], "a", "sorted by the count, largest first");
  assert.equal(data.rows[0].values[1], 37);
});
