// 「ファイルに書き出す」 (issue 16, export) in the browser: the filtered and searched view of the list
// exported to Excel (the downloaded workbook's cells checked: only the view's records and columns,
// numbers as numbers, dates as dates), a Shift_JIS CSV refused with the record, field and character
// named in the dialog, and the same records as a UTF-8 CSV.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";
import { readXlsx } from "../xlsx.mjs";

let server, browser, appId;
const ids = {};
const auth = () => ({ "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" });
async function api(method, path, body) {
  const resp = await fetch(server.baseUrl + "/k/v1/" + path, { method, headers: auth(), body: body && JSON.stringify(body) });
  const json = await resp.json();
  if (!resp.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}
const shot = (page, name) => page.screenshot({ path: `/tmp/exports-${name}-${process.env.KUMIKI_BACKEND || "sqlite"}.png`, fullPage: true });

/** Excel's serial number of a date. */
const serial = (y, m, d) => (Date.UTC(y, m - 1, d) - Date.UTC(1899, 11, 30)) / 86400000;

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
  appId = (await api("POST", "preview/app.json", { name: "相談受付" })).app;
  await api("POST", "preview/app/form/fields.json", { app: appId, properties: {
    件名: { type: "SINGLE_LINE_TEXT", code: "件名", label: "件名" },
    区分: { type: "DROP_DOWN", code: "区分", label: "区分", options: { 相談: { label: "相談", index: "0" }, 申請: { label: "申請", index: "1" } } },
    金額: { type: "NUMBER", code: "金額", label: "金額" },
    受付日: { type: "DATE", code: "受付日", label: "受付日" },
    備考: { type: "MULTI_LINE_TEXT", code: "備考", label: "備考" },
  } });
  await api("PUT", "preview/app/views.json", { app: appId, views: {
    相談のみ: { type: "LIST", name: "相談のみ", index: "0", fields: ["件名", "金額", "受付日"], filterCond: "区分 in (\"相談\")", sort: "金額 desc" },
  } });
  await api("POST", "preview/app/deploy.json", { apps: [{ app: appId }] });
  for (let i = 0; i < 60; i++) {
    if ((await api("GET", "preview/app/deploy.json?apps[0]=" + appId)).apps[0].status === "SUCCESS") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const rec = (件名, 区分, 金額, 受付日) => ({ 件名: { value: 件名 }, 区分: { value: 区分 }, 金額: { value: 金額 }, 受付日: { value: 受付日 }, 備考: { value: "内部メモ" } });
  const added = await api("POST", "records.json", { app: appId, records: [
    rec("道路の補修", "相談", "1234.5", "2026-04-01"),
    rec("道路の占用", "申請", "800", "2026-04-02"),
    rec("道路の清掃", "相談", "300", "2026-04-03"),
    rec("公園の遊具", "相談", "5000", "2026-04-04"),
  ] });
  added.ids.forEach((id, i) => { ids[i] = id; });
});
after(async () => { await browser?.close(); await server?.stop(); });

async function openDialog(page) {
  await page.click("[data-testid=export-open]");
  await page.waitForSelector("[data-testid=export-dialog][open]");
}

test("the filtered view exports to Excel with its records, columns and types", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${appId}?view=${encodeURIComponent("相談のみ")}&search=${encodeURIComponent("道路")}`);
  await page.waitForSelector("[data-testid=records-table]");
  await page.waitForFunction(() => document.querySelectorAll("[data-testid^=record-row-]").length === 2);
  await openDialog(page);
  assert.equal(await page.textContent("[data-testid=export-view]"), "相談のみ");
  assert.match(await page.textContent("[data-testid=export-query]"), /区分 in \("相談"\)/);
  assert.match(await page.textContent("[data-testid=export-query]"), /道路/);
  assert.equal(await page.textContent("[data-testid=export-column-names]"), "件名、金額、受付日");
  await shot(page, "dialog");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=export-run]")]);
  assert.match(download.suggestedFilename(), /^相談受付_\d{8}\.xlsx$/);
  await page.waitForSelector("[data-testid=export-done]");
  assert.match(await page.textContent("[data-testid=export-done]"), /2 件/);
  assert.equal(await page.textContent("[data-testid=export-cancel]"), "閉じる");
  const book = readXlsx(readFileSync(await download.path()));
  const cells = Object.values(book)[0];
  assert.deepEqual([cells.A1, cells.B1, cells.C1], ["件名", "金額", "受付日"]);
  // 金額 desc, only the two 相談 records that match 道路; 金額 a number, 受付日 a date serial.
  assert.deepEqual([cells.A2, cells.B2, Number(cells.C2)], ["道路の補修", "1234.5", serial(2026, 4, 1)]);
  assert.deepEqual([cells.A3, cells.B3, Number(cells.C3)], ["道路の清掃", "300", serial(2026, 4, 3)]);
  assert.equal(cells.A4, undefined, "no third row: " + JSON.stringify(cells));
  assert.ok(!JSON.stringify(cells).includes("内部メモ"), "only the view's columns");
  await shot(page, "done");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("a Shift_JIS CSV names the characters it cannot hold; UTF-8 holds them", async () => {
  await api("PUT", "record.json", { app: appId, id: ids[2], record: { 件名: { value: "道路の清掃（𠮷田町）" } } });
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${appId}?view=${encodeURIComponent("相談のみ")}`);
  await page.waitForFunction(() => document.querySelectorAll("[data-testid^=record-row-]").length === 3);
  await openDialog(page);
  await page.check("[data-testid=export-format-csv-sjis]");
  await page.click("[data-testid=export-run]");
  await page.waitForSelector("[data-testid=export-error]");
  const error = await page.textContent("[data-testid=export-error]");
  assert.match(error, /𠮷/);
  assert.match(error, new RegExp(`#${ids[2]} 件名`));
  assert.match(error, /Shift_JIS で表せない文字/, "in Japanese: " + error);
  await shot(page, "sjis-refused");
  await page.check("[data-testid=export-format-csv-utf8]");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=export-run]")]);
  assert.match(download.suggestedFilename(), /\.csv$/);
  const bytes = readFileSync(await download.path());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 with a BOM");
  const lines = bytes.subarray(3).toString("utf8").split("\r\n");
  assert.deepEqual(lines.slice(0, 4), ["件名,金額,受付日", "公園の遊具,5000,2026-04-04", "道路の補修,1234.5,2026-04-01", "道路の清掃（𠮷田町）,300,2026-04-03"]);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("on a phone the export is in the actions menu", async () => {
  const page = await signedInPage(browser, server.baseUrl, { width: 390, height: 844 });
  await page.goto(`${server.baseUrl}/apps/${appId}`);
  await page.waitForSelector("[data-testid=records-table]");
  await page.click("[data-testid=phone-menu-toggle]");
  await page.click("[data-testid=menu-export]");
  await page.waitForSelector("[data-testid=export-dialog][open]");
  await shot(page, "phone");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, "no sideways scroll: " + overflow);
  await page.close();
});
