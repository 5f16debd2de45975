// Printing in the browser (issue 16, item 5): from a record of the example app 文書収受簿 open 「印刷」
// (the A4 print view), check that print media hides the toolbar; open the ledger template from the list
// print; in the 「印刷テンプレート」 settings tab write a template (a syntax error first: its message
// shows), save, publish, and print a record with it. Screenshots in /tmp/printing-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
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
  const { apps } = await api("GET", "/k/v1/apps.json?name=" + encodeURIComponent("文書収受簿"));
  app = apps[0].appId;
});
after(async () => { await browser?.close(); await server?.stop(); });

test("a record prints on an A4 sheet and print media hides the toolbar", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}/records/1`);
  await page.click("[data-testid=print-record]");
  await page.waitForSelector("[data-testid=print-record]");
  assert.match(await page.textContent("[data-testid=print-record]"), /R7-/);
  assert.ok(await page.isVisible("[data-testid=print-now]"));
  await page.screenshot({ path: "/tmp/printing-record-screen.png", fullPage: true });
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.isVisible("[data-testid=print-toolbar]"), false, "no toolbar on paper");
  await page.screenshot({ path: "/tmp/printing-record-print.png", fullPage: true });
  await page.emulateMedia({ media: "screen" });
  // The ledger form of the list, from the toolbar of the list print.
  await page.goto(`${server.baseUrl}/apps/${app}/print`);
  await page.waitForSelector("[data-testid=print-list]");
  await page.click("[data-testid=print-template-link]:has-text('文書収受簿')");
  await page.waitForSelector("[data-testid=print-template]");
  assert.match(await page.textContent("[data-testid=print-template] h1"), /文書収受簿/);
  await page.emulateMedia({ media: "print" });
  await page.screenshot({ path: "/tmp/printing-ledger-print.png", fullPage: false });
  assert.deepEqual(page.problems, []);
});

test("a template written in the settings tab prints a record", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}/print-templates`);
  await page.waitForSelector("[data-testid=ps-item]");
  await page.click("[data-testid=ps-add]");
  await page.fill("[data-testid=ps-name]", "テスト票");
  await page.fill("[data-testid=ps-source]", "<h1>テスト票</h1>\n{{#if 件名}}\n<p>{{件名}}</p>");
  await page.click("[data-testid=ps-save]");
  await page.waitForSelector("[data-testid=ps-error]:not([hidden])");
  assert.match(await page.textContent("[data-testid=ps-error]"), /行/);
  await page.screenshot({ path: "/tmp/printing-settings-error.png", fullPage: true });
  await page.fill("[data-testid=ps-source]", "<h1 class=\"pt-center\">テスト票</h1>\n<p data-k=\"no\">{{文書番号}} {{件名}}</p>\n<p>{{printedAtWareki}}</p>");
  await page.click("[data-testid=ps-publish]");
  await page.waitForFunction(() => document.querySelector("[data-testid=ps-status]")?.getAttribute("data-state") === "published", null, { timeout: 30000 });
  await page.screenshot({ path: "/tmp/printing-settings.png", fullPage: true });
  const { printTemplates } = await api("GET", `/k/v1/app/printTemplates.json?app=${app}`);
  const made = printTemplates.find((t) => t.name === "テスト票");
  assert.ok(made, "published");
  await page.goto(`${server.baseUrl}/apps/${app}/records/1/print`);
  await page.click("[data-testid=print-template-link]:has-text('テスト票')");
  await page.waitForSelector("[data-testid=print-template]");
  assert.match(await page.textContent("[data-testid=print-template]"), /R7-.*令和/s);
  await page.screenshot({ path: "/tmp/printing-template.png", fullPage: true });
  assert.deepEqual(page.problems, []);
});

test("the list's 印刷 link carries the search box's condition", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}`);
  await page.waitForSelector("[data-testid=quick-search]");
  const first = await api("GET", `/k/v1/record.json?app=${app}&id=1`);
  const term = first.record["件名"].value;
  const search = page.locator("[data-testid=quick-search]");
  await search.fill(term);
  await search.press("Enter");
  await page.waitForFunction(() => /query=/.test(document.querySelector("[data-testid=print-list]")?.getAttribute("href") || ""));
  await page.click("[data-testid=print-list]");
  await page.waitForSelector("[data-testid=print-list]");
  const rows = await page.$$eval("[data-testid=print-list] tbody tr", (trs) => trs.map((tr) => tr.textContent));
  const { totalCount } = await api("GET", `/k/v1/records.json?app=${app}&totalCount=true&query=${encodeURIComponent("limit 1")}`);
  assert.ok(rows.some((r) => r.includes(term)), rows.join("\n"));
  assert.ok(rows.length < Number(totalCount), `narrowed: ${rows.length} of ${totalCount}`);
  assert.deepEqual(page.problems, []);
});
