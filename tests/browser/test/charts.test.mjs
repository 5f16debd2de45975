// Charts in the browser (issue 16, item 3): from the record list of the example app 相談案件管理 open
// 「状態別の件数」 (a pie drawn as SVG on the server, with its data table); in the charts editor create a
// monthly column chart stacked by 担当課, publish the app and open it; the CSV download holds the same
// numbers as the page's table. Screenshots in /tmp/charts-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser, app;

async function api(method, path) {
  const headers = { "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64") };
  const r = await fetch(server.baseUrl + path, { method, headers });
  const j = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${JSON.stringify(j)}`);
  return j;
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const { apps } = await api("GET", "/k/v1/apps.json?name=" + encodeURIComponent("相談案件管理"));
  app = apps[0].appId;
});
after(async () => { await browser?.close(); await server?.stop(); });

/** The rows of the page's data table as text cells. */
async function tableRows(page) {
  return page.$$eval("[data-testid=report-table] tbody tr", (trs) => trs.map((tr) => Array.from(tr.children).map((c) => c.textContent.trim())));
}

test("the example app's pie opens from the record list with its SVG and table", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}`);
  await page.waitForSelector("[data-testid=report-links]");
  await page.click("[data-testid=report-links] a:has-text('状態別の件数')");
  await page.waitForSelector("[data-testid=report-chart] svg");
  assert.equal(await page.textContent("[data-testid=report-title]"), "状態別の件数");
  const slices = await page.locator("[data-testid=report-chart] .chart-slice").count();
  assert.ok(slices >= 2, `slices: ${slices}`);
  assert.match(await page.textContent("[data-testid=report-chart] svg > title"), /状態別の件数/);
  await page.click("[data-testid=report-data] summary");
  const rows = await tableRows(page);
  const total = rows.reduce((n, r) => n + Number(r[1]), 0);
  const { totalCount } = await api("GET", `/k/v1/records.json?app=${app}&totalCount=true&query=${encodeURIComponent("limit 1")}`);
  assert.equal(total, Number(totalCount), "the pie counts every record");
  // The other charts are a click away; the cross table is a table.
  await page.click("[data-testid=report-nav] a:has-text('担当課×状態')");
  await page.waitForSelector("[data-testid=report-pivot]");
  await page.screenshot({ path: "/tmp/charts-pivot-1280.png", fullPage: true });
  await page.click("[data-testid=report-nav] a:has-text('状態別の件数')");
  await page.waitForSelector("[data-testid=report-chart] svg");
  await page.screenshot({ path: "/tmp/charts-pie-1280.png", fullPage: true });
  assert.deepEqual(page.problems, []);
});

test("a monthly column chart made in the editor is published and opens", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}/views`);
  await page.click("[data-testid=tab-charts]");
  await page.waitForSelector("[data-testid=cs-list] [data-testid=cs-chart-0]");
  await page.click("[data-testid=cs-add]");
  await page.fill("[data-testid=cs-name]", "月別・担当課別");
  await page.selectOption("[data-testid=cs-type]", "COLUMN");
  await page.selectOption("[data-testid=cs-mode]", "STACKED");
  await page.selectOption("[data-testid=cs-group-0]", "受付日");
  await page.selectOption("[data-testid=cs-group-0-per]", "MONTH");
  await page.click("[data-testid=cs-group-add]");
  await page.selectOption("[data-testid=cs-group-1]", "担当課");
  await page.click("[data-testid=cs-sort-add]");
  await page.selectOption("[data-testid=cs-sort-0]", "GROUP1");
  await page.selectOption("[data-testid=cs-sort-0-order]", "ASC");
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: "/tmp/charts-editor-1280.png" });
  // A wrong condition is refused with the message under the filter, nothing saved.
  await page.fill("[data-testid=cs-filter]", "存在しない = \"x\"");
  await page.click("[data-testid=cs-save]");
  await page.waitForSelector("[data-testid=cs-error-filterCond]");
  await page.fill("[data-testid=cs-filter]", "");
  await page.click("[data-testid=cs-publish]");
  await page.waitForSelector("[data-testid=cs-open-chart]", { timeout: 30000 });
  await page.click("[data-testid=cs-open-chart]");
  await page.waitForSelector("[data-testid=report-chart] svg");
  assert.equal(await page.textContent("[data-testid=report-title]"), "月別・担当課別");
  assert.match(await page.textContent("[data-testid=report-meta]"), /縦棒グラフ.*積み上げ/);
  const columns = await page.locator("[data-testid=report-chart] .chart-col rect").count();
  assert.ok(columns >= 3, `column parts: ${columns}`);
  assert.ok(await page.locator("[data-testid=report-chart] .chart-legend").count(), "a legend of 担当課");
  await page.screenshot({ path: "/tmp/charts-column-1280.png", fullPage: true });
  // The CSV holds the table's rows.
  await page.click("[data-testid=report-data] summary");
  const rows = await tableRows(page);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=report-csv]")]);
  const bytes = readFileSync(await download.path());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 with BOM");
  const lines = bytes.subarray(3).toString("utf8").split("\r\n").filter(Boolean);
  assert.deepEqual(lines[0].split(","), ["受付日", "担当課", "レコード数"]);
  assert.equal(lines.length - 1, rows.length);
  assert.deepEqual(lines[1].split(","), rows[0]);
  // The record list links the new chart; a phone-width chart page still shows the chart.
  await page.goto(`${server.baseUrl}/apps/${app}`);
  await page.waitForSelector("[data-testid=report-links] a:has-text('月別・担当課別')");
  await page.waitForSelector("#records-list table, #records-list .record-card");
  await page.screenshot({ path: "/tmp/charts-list-1280.png" });
  const phone = await signedInPage(browser, server.baseUrl, { width: 390, height: 844 });
  await phone.goto(`${server.baseUrl}/apps/${app}`);
  await phone.click("[data-testid=report-links] a:has-text('状態別の件数')");
  await phone.waitForSelector("[data-testid=report-chart] svg");
  await phone.screenshot({ path: "/tmp/charts-pie-390.png", fullPage: true });
  assert.deepEqual(page.problems, []);
  assert.deepEqual(phone.problems, []);
});
