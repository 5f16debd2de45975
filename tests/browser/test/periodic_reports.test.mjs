// Periodic reports in the browser (issue 16, 定期レポート), end to end with the server's own clock: in the
// charts editor the example app's chart 「状態別の件数」 gets an hourly schedule at a minute shortly ahead
// (「定期レポート」, published with the app); the server's
// durable job `reports.periodic` takes the snapshot when that minute comes (nothing is called by hand);
// the chart page lists the period under 「過去の集計結果」, opening it shows the same table as the live
// chart, and its CSV holds the same numbers. Screenshots in /tmp/periodic-*.png. Takes up to 3 minutes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser, app;
const SHOTS = process.env.KUMIKI_SHOTS || "/tmp";

async function call(method, path, body) {
  const headers = { "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" };
  const url = server.baseUrl + (path.startsWith("/") ? path : "/k/v1/" + path);
  const r = await fetch(url, { method, headers, body: body && JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${JSON.stringify(j)}`);
  return j;
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const { apps } = await call("GET", "/k/v1/apps.json?name=" + encodeURIComponent("相談案件管理"));
  app = apps[0].appId;
});
after(async () => { await browser?.close(); await server?.stop(); });

async function tableRows(page, testid) {
  return page.$$eval(`[data-testid=${testid}] tbody tr`, (trs) => trs.map((tr) => Array.from(tr.children).map((c) => c.textContent.trim())));
}

test("the server's job keeps a chart's numbers at its time and the chart page shows them", { timeout: 240000 }, async () => {
  const { reports } = await call("GET", `preview/app/reports.json?app=${app}`);
  const name = "状態別の件数";
  const rid = reports[name].id;
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}/charts`);
  await page.click(`[data-testid=cs-list] button:has-text('${name}')`);
  await page.check("[data-testid=cs-periodic]");
  // The interval asks for what it needs: a day and a time for a month, a minute for an hour.
  await page.waitForSelector("[data-testid=cs-periodic-day]");
  await page.selectOption("[data-testid=cs-periodic-every]", "HOUR");
  await page.waitForSelector("[data-testid=cs-periodic-minute]");
  assert.equal(await page.locator("[data-testid=cs-periodic-time]").count(), 0);
  // Two minutes ahead (Tokyo's offset is whole hours, so its minute is UTC's): after the deploy.
  const minute = (new Date().getUTCMinutes() + 2) % 60;
  await page.selectOption("[data-testid=cs-periodic-minute]", String(minute));
  await page.locator("[data-testid=cs-periodic-section]").screenshot({ path: `${SHOTS}/periodic-editor-1280.png` });
  await page.click("[data-testid=cs-publish]");
  await page.waitForSelector("[data-testid=cs-open-chart]", { timeout: 30000 });
  const live = await call("GET", `app/reports.json?app=${app}`);
  assert.deepEqual(live.reports[name].periodicReport, { active: true, period: { every: "HOUR", minute: String(minute) } });

  await page.goto(`${server.baseUrl}/apps/${app}/reports/${rid}`);
  await page.waitForSelector("[data-testid=report-past-none]");

  let snapshots = [];
  for (let i = 0; i < 200 && snapshots.length === 0; i++) {
    await new Promise((ok) => setTimeout(ok, 1000));
    ({ snapshots } = await call("GET", `/api/app/report/snapshots.json?app=${app}&id=${rid}`));
  }
  assert.equal(snapshots.length, 1, "the job took one snapshot");
  assert.match(snapshots[0].period, new RegExp(`:${String(minute).padStart(2, "0")}$`));

  await page.goto(`${server.baseUrl}/apps/${app}/reports/${rid}`);
  await page.waitForSelector("[data-testid=report-past-list] a");
  assert.equal((await page.textContent("[data-testid=report-past-list] a")).trim(), snapshots[0].period);
  await page.screenshot({ path: `${SHOTS}/periodic-list-1280.png`, fullPage: true });
  await page.click("[data-testid=report-past-list] a");
  await page.waitForSelector("[data-testid=report-past-table]");
  await page.click("[data-testid=report-data] summary");
  assert.deepEqual(await tableRows(page, "report-past-table"), await tableRows(page, "report-table"),
    "no record changed since: the kept table equals the live one");
  await page.locator("[data-testid=report-past]").scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/periodic-opened-1280.png`, fullPage: true });

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=report-past-csv]")]);
  const csv = readFileSync(await download.path(), "utf8").replace(/^\uFEFF/, "");
  const lines = csv.split("\r\n").filter((l) => l);
  const rows = await tableRows(page, "report-past-table");
  assert.equal(lines.length, rows.length + 1, csv);
  assert.equal(lines[1].split(",")[0], rows[0][0]);
  assert.deepEqual(page.problems, []);
});
