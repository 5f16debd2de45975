// Printing in the browser (issue 16, item 5): from a record of the example app 文書収受簿 open 「印刷」
// (the A4 print view), check that print media hides the toolbar; open the ledger template from the list
// print; in the 「印刷テンプレート」 settings tab write a template (a syntax error first: its message
// shows), save, publish, and print a record with it; sort the list by a column header, print it in that
// order and on A4 landscape (横). Screenshots in /tmp/printing-*.png and /tmp/print-*.png.
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
  // 用紙の向き: 横 (landscape).
  await page.selectOption("[data-testid=ps-orientation]", "landscape");
  assert.match(await page.textContent("[data-testid=ps-item][aria-current=true]"), /横/);
  await page.click("[data-testid=ps-publish]");
  await page.waitForFunction(() => document.querySelector("[data-testid=ps-status]")?.getAttribute("data-state") === "published", null, { timeout: 30000 });
  await page.screenshot({ path: "/tmp/printing-settings.png", fullPage: true });
  const { printTemplates } = await api("GET", `/k/v1/app/printTemplates.json?app=${app}`);
  const made = printTemplates.find((t) => t.name === "テスト票");
  assert.ok(made, "published");
  assert.equal(made.orientation, "landscape");
  await page.goto(`${server.baseUrl}/apps/${app}/records/1/print`);
  await page.click("[data-testid=print-template-link]:has-text('テスト票')");
  await page.waitForSelector("[data-testid=print-template]");
  assert.match(await page.textContent("[data-testid=print-template]"), /R7-.*令和/s);
  assert.equal(await page.getAttribute("body", "data-orientation"), "landscape");
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

test("a column header's sort reaches the print, and 横 lays the sheet landscape", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  const printIds = () => page.$$eval("[data-testid=print-list] tbody tr", (trs) => trs.map((tr) => tr.cells[0].textContent.trim()));
  // The view's own order (一覧: 受付日 desc), for comparison.
  await page.goto(`${server.baseUrl}/apps/${app}/print`);
  await page.waitForSelector("[data-testid=print-list]");
  const viewOrder = await printIds();
  await page.goto(`${server.baseUrl}/apps/${app}`);
  await page.waitForSelector("[data-testid=records-table]");
  await page.click("[data-testid=sort-文書番号]");
  await page.waitForSelector("th[aria-sort=ascending] [data-testid=sort-文書番号]");
  await page.waitForFunction(() => /sort=/.test(document.querySelector("[data-testid=print-list]")?.getAttribute("href") || ""));
  const listIds = await page.$$eval("[data-testid=records-table] tbody tr", (trs) => trs.map((tr) => tr.getAttribute("data-testid").replace("record-row-", "")));
  assert.ok(listIds.length > 1, "the list shows records");
  await page.click("[data-testid=print-list]");
  await page.waitForSelector("[data-testid=print-list]");
  const sorted = await printIds();
  assert.deepEqual(sorted.slice(0, listIds.length), listIds, "the print is in the list's order");
  assert.notDeepEqual(sorted, viewOrder, "the header's sort replaced the view's");
  // Portrait first: a 210 mm sheet; 横 keeps the sort and lays a 297 mm sheet.
  assert.equal(await page.getAttribute("body", "data-orientation"), "portrait");
  const mm = (px) => Math.round(px * 25.4 / 96);
  const sheetWidth = () => page.$eval("main.sheet", (m) => m.getBoundingClientRect().width);
  assert.equal(mm(await sheetWidth()), 210);
  await page.click("[data-testid=print-orientation-landscape]");
  await page.waitForSelector("body[data-orientation=landscape]");
  assert.equal(await page.getAttribute("[data-testid=print-orientation-landscape]", "aria-current"), "true");
  assert.equal(mm(await sheetWidth()), 297);
  assert.deepEqual(await printIds(), sorted, "the same order on the landscape sheet");
  await page.screenshot({ path: "/tmp/print-landscape-screen.png", fullPage: false });
  // On paper: the page box itself is A4 landscape (wider than high).
  await page.emulateMedia({ media: "print" });
  const pdf = await page.pdf({ preferCSSPageSize: true });
  const box = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(pdf.toString("latin1"));
  assert.ok(box, "the PDF has a media box");
  assert.ok(Number(box[1]) > Number(box[2]), `landscape page: ${box[1]} x ${box[2]}`);
  await page.screenshot({ path: "/tmp/print-landscape-paper.png", fullPage: false });
  await page.emulateMedia({ media: "screen" });
  // The example ledger template is landscape by itself.
  await page.click("[data-testid=print-template-link]:has-text('文書収受簿')");
  await page.waitForSelector("[data-testid=print-template]");
  assert.equal(await page.getAttribute("body", "data-orientation"), "landscape");
  await page.screenshot({ path: "/tmp/print-ledger-landscape.png", fullPage: false });
  assert.deepEqual(page.problems, []);
});
