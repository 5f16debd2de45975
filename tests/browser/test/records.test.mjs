// Working with records in the browser: add a record with a file and a subtable, see the conflict when
// someone else saved first, and filter the list with the visual condition builder.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser, appId;
const auth = () => ({ "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" });
async function api(method, path, body) {
  const resp = await fetch(server.baseUrl + "/k/v1/" + path, { method, headers: auth(), body: body && JSON.stringify(body) });
  const json = await resp.json();
  if (!resp.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
  const created = await api("POST", "preview/app.json", { name: "備品台帳" });
  appId = created.app;
  await api("POST", "preview/app/form/fields.json", { app: appId, properties: {
    品名: { type: "SINGLE_LINE_TEXT", code: "品名", label: "品名", required: true },
    数量: { type: "NUMBER", code: "数量", label: "数量" },
    写真: { type: "FILE", code: "写真", label: "写真" },
    明細: { type: "SUBTABLE", code: "明細", fields: {
      部品: { type: "SINGLE_LINE_TEXT", code: "部品", label: "部品" },
      個数: { type: "NUMBER", code: "個数", label: "個数" } } },
    合計: { type: "CALC", code: "合計", label: "合計", expression: "SUM(個数)", format: "NUMBER" },
  } });
  await api("POST", "preview/app/deploy.json", { apps: [{ app: appId }] });
  const records = Array.from({ length: 30 }, (_, i) => ({ 品名: { value: "既存" + i }, 数量: { value: String(i) } }));
  await api("POST", "records.json", { app: appId, records });
});
after(async () => { await browser?.close(); await server?.stop(); });

test("add a record with a file and subtable rows; CALC is shown", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${appId}`);
  await page.click("[data-testid=new-record]");
  await page.waitForSelector("[data-testid=record-form]");
  await page.fill("[data-testid=field-品名]", "プロジェクター");
  await page.fill("[data-testid=field-数量]", "2");
  const file = join(mkdtempSync(join(tmpdir(), "kb-")), "取扱説明書.pdf");
  writeFileSync(file, Buffer.from("%PDF-1.4\n% test\n"));
  await page.setInputFiles("[data-testid=file-input-写真]", file);
  // A new form starts with one empty row, as in kintone.
  if (!(await page.$("[data-testid=field-明細-0-部品]"))) await page.click("[data-testid=subtable-add-明細]");
  await page.fill("[data-testid=field-明細-0-部品]", "ランプ");
  await page.fill("[data-testid=field-明細-0-個数]", "3");
  await page.click("[data-testid=subtable-add-明細]");
  await page.fill("[data-testid=field-明細-1-部品]", "リモコン");
  await page.fill("[data-testid=field-明細-1-個数]", "4");
  await page.click("[data-testid=save-record]");
  await page.waitForSelector("[data-testid=saved-message]");
  const id = page.url().match(/records\/(\d+)/)[1];
  const { record } = await api("GET", `record.json?app=${appId}&id=${id}`);
  assert.equal(record.品名.value, "プロジェクター");
  assert.equal(record.写真.value[0].name, "取扱説明書.pdf");
  assert.equal(record.明細.value.length, 2);
  assert.equal(record.合計.value, "7");
  assert.match(await page.textContent("[data-testid=view-合計]"), /7/);
  assert.deepEqual(page.problems, []);
});

test("a required field left empty is explained next to it and the typing is kept", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${appId}/records/new`);
  await page.waitForSelector("[data-testid=record-form]");
  await page.fill("[data-testid=field-数量]", "5");
  await page.click("[data-testid=save-record]");
  await page.waitForSelector("[data-testid=error-品名]");
  assert.ok((await page.textContent("[data-testid=error-品名]")).trim().length > 0);
  assert.equal(await page.inputValue("[data-testid=field-数量]"), "5");
});

test("saving over someone else's save shows the conflict message", async () => {
  const { id } = await api("POST", "record.json", { app: appId, record: { 品名: { value: "机" } } });
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${appId}/records/${id}/edit`);
  await page.waitForSelector("[data-testid=record-form]");
  // Another person saves first.
  await api("PUT", "record.json", { app: appId, id, record: { 数量: { value: "9" } } });
  await page.fill("[data-testid=field-品名]", "机（大）");
  await page.click("[data-testid=save-record]");
  await page.waitForSelector("[data-testid=conflict-message]");
  assert.match(await page.textContent("[data-testid=conflict-message]"), /別のユーザー/);
  assert.equal(await page.inputValue("[data-testid=field-品名]"), "机（大）", "the typing is kept");
  await page.click("[data-testid=conflict-compare]");
  await page.waitForSelector("[data-testid=conflict-field-数量]");
});

test("filter the list with the condition builder; the query is shown", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${appId}`);
  await page.waitForSelector("[data-testid=records-table]");
  // The number of matching records, as kintone's list shows it (the first page holds 20).
  await page.waitForSelector("[data-testid=records-total]");
  assert.match(await page.textContent("[data-testid=page-range]"), /^全3[0-9]件1〜20件目$/);
  await page.click("[data-testid=filter-toggle]");
  await page.click("[data-testid=condition-add]");
  await page.selectOption("[data-testid=condition-field-0]", "数量");
  await page.selectOption("[data-testid=condition-op-0]", ">=");
  await page.fill("[data-testid=condition-value-0]", "25");
  await page.click("[data-testid=condition-apply]");
  await page.waitForFunction(() => document.querySelectorAll("[data-testid^=record-row-]").length === 5);
  assert.match(await page.textContent("[data-testid=query-text]"), /数量 >= 25/);
  await page.waitForFunction(() => document.querySelector("[data-testid=records-total]")?.textContent === "全5件");
  await page.screenshot({ path: "/tmp/records-total.png", fullPage: true });
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll("[data-testid^=record-row-]").length === 5);
});
