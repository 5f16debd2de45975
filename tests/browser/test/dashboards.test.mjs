// Dashboards in the browser (issue 16, item 4): from the example app 相談案件管理 open the pie
// 「状態別の件数」, pin it to 自分のダッシュボード with 「ダッシュボードに追加」, see it drawn on the
// portal, pin the record list too, then remove the chart from the portal. Screenshots in
// /tmp/dashboards-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser, app;

async function api(method, path, body) {
  const headers = { "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64") };
  if (body) headers["Content-Type"] = "application/json";
  const r = await fetch(server.baseUrl + path, { method, headers, body: body && JSON.stringify(body) });
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

test("a chart and a record list pinned to my dashboard show on the portal and come off it", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}`);
  await page.waitForSelector("[data-testid=report-links]");
  await page.click("[data-testid=report-links] a:has-text('状態別の件数')");
  await page.waitForSelector("[data-testid=report-chart] svg");
  await page.click("[data-testid=dash-add] summary");
  await page.selectOption("[data-testid=dash-target]", "USER");
  await page.screenshot({ path: "/tmp/dashboards-add-1280.png" });
  await page.click("[data-testid=dash-add-submit]");
  await page.waitForSelector("[data-testid=dash-add-status]:not(:empty)");
  await page.screenshot({ path: "/tmp/dashboards-added-1280.png" });
  assert.match(await page.textContent("[data-testid=dash-add-status]"), /追加しました/);

  // The record list: its first 5 records.
  await page.goto(`${server.baseUrl}/apps/${app}`);
  await page.waitForSelector("[data-testid=dash-add]");
  await page.click("[data-testid=dash-add] summary");
  await page.fill("[data-testid=dash-rows]", "5");
  await page.screenshot({ path: "/tmp/dashboards-list-add-1280.png" });
  await page.click("[data-testid=dash-add-submit]");
  await page.waitForSelector("[data-testid=dash-added-link]");

  await page.click("[data-testid=dash-added-link]");
  await page.waitForSelector("[data-testid=dashboard-mine]");
  const cards = page.locator("[data-testid=dashboard-mine] .dash-pin");
  assert.equal(await cards.count(), 2);
  const chart = cards.nth(0);
  assert.match(await chart.locator(".dash-title").textContent(), /状態別の件数/);
  assert.ok(await chart.locator("svg .chart-slice").count() >= 2, "the pie is drawn");
  const list = cards.nth(1);
  assert.equal(await list.locator("tbody tr").count(), 5);
  assert.match(await list.locator("tbody tr a").first().getAttribute("href"), new RegExp(`^/apps/${app}/records/\\d+$`));
  await page.screenshot({ path: "/tmp/dashboards-portal-1280.png", fullPage: true });

  // Moving the list first, then removing the chart.
  await list.locator("[data-pin-move='-1']").click();
  await page.waitForFunction(() => document.querySelector("[data-testid=dashboard-mine] .dash-pin table"));
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=dashboard-mine] .dash-pin")[0].querySelector("table"));
  await page.locator("[data-testid=dashboard-mine] .dash-pin:has(svg) [data-pin-remove]").click();
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=dashboard-mine] .dash-pin").length === 1);
  await page.reload();
  await page.waitForSelector("[data-testid=dashboard-mine]");
  assert.equal(await page.locator("[data-testid=dashboard-mine] .dash-pin").count(), 1);
  assert.equal(await page.locator("[data-testid=dashboard-mine] .dash-pin svg").count(), 0, "the chart is gone");
  const pins = await api("GET", "/api/dashboard/pins.json?scope=USER");
  assert.equal(pins.pins.length, 1);
  assert.equal(pins.pins[0].kind, "LIST");
  await page.screenshot({ path: "/tmp/dashboards-removed-1280.png", fullPage: true });
  assert.deepEqual(page.problems, []);
});

// Issue 16 gap 2: a private view (個人用の一覧) pinned from the record list shows on the portal.
test("a private view pinned to my dashboard shows on the portal", async () => {
  const { id } = await api("PUT", "/api/app/views/private.json",
    { app, view: { name: "私の新しい順", fields: [], filterCond: "", sort: "$id desc" } });
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}?view=private:${id}`);
  await page.waitForSelector("[data-testid=dash-add]");
  await page.click("[data-testid=dash-add] summary");
  assert.equal(await page.inputValue("[data-testid=dash-view]"), `private:${id}`, "the view shown is proposed");
  // Only my own board takes a private view: another target disables it.
  const targets = await page.locator("[data-testid=dash-target] option").evaluateAll((os) => os.map((o) => o.value));
  if (targets.includes("PORTAL")) {
    await page.selectOption("[data-testid=dash-target]", "PORTAL");
    assert.equal(await page.inputValue("[data-testid=dash-view]"), "");
    await page.selectOption("[data-testid=dash-target]", "USER");
    await page.selectOption("[data-testid=dash-view]", `private:${id}`);
  }
  await page.fill("[data-testid=dash-rows]", "3");
  await page.screenshot({ path: "/tmp/dashboards-private-add-1280.png" });
  await page.click("[data-testid=dash-add-submit]");
  await page.waitForSelector("[data-testid=dash-added-link]");
  await page.click("[data-testid=dash-added-link]");
  await page.waitForSelector("[data-testid=dashboard-mine]");
  const card = page.locator("[data-testid=dashboard-mine] .dash-pin:has-text('私の新しい順')");
  assert.equal(await card.count(), 1);
  assert.equal(await card.locator("tbody tr").count(), 3);
  assert.match(await card.locator(".dash-title a").getAttribute("href"), /view=private%3A\d+$/);
  await page.screenshot({ path: "/tmp/dashboards-private-portal-1280.png", fullPage: true });
  assert.deepEqual(page.problems, []);
});
