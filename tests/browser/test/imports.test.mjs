// Record import in the browser (issue 16): from the record list to the import page, a Shift_JIS CSV
// (detected) whose 「数」 column is mapped by hand to 数量, three bad rows reported with their row and
// column before anything is written, the fixed file imported as a durable job whose progress
// reaches done (also after a reload), the records in the list, and a corrected file re-imported
// as an update by key.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser, appId;
const auth = () => ({ "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" });
async function api(method, path, body) {
  const resp = await fetch(server.baseUrl + "/k/v1/" + path, { method, headers: auth(), body: body && JSON.stringify(body) });
  const json = await resp.json();
  if (!resp.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}
const shot = (page, name) => page.screenshot({ path: `/tmp/imports-${name}-${process.env.KUMIKI_BACKEND || "sqlite"}.png`, fullPage: true });
// Windows-31J bytes, as Excel saves 「CSV」 in Japan (python's cp932 codec).
const sjis = (text) => execFileSync("python3", ["-c", "import sys; sys.stdout.buffer.write(sys.argv[1].encode('cp932'))", text]);

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
  appId = (await api("POST", "preview/app.json", { name: "受付簿" })).app;
  await api("POST", "preview/app/form/fields.json", { app: appId, properties: {
    件名: { type: "SINGLE_LINE_TEXT", code: "件名", label: "件名", unique: true },
    数量: { type: "NUMBER", code: "数量", label: "数量" },
    受付日: { type: "DATE", code: "受付日", label: "受付日" },
  } });
  await api("POST", "preview/app/deploy.json", { apps: [{ app: appId }] });
  for (let i = 0; i < 60; i++) {
    if ((await api("GET", "preview/app/deploy.json?apps[0]=" + appId)).apps[0].status === "SUCCESS") break;
    await new Promise((r) => setTimeout(r, 100));
  }
});
after(async () => { await browser?.close(); await server?.stop(); });

async function choose(page, name, text) {
  await page.setInputFiles("[data-testid=import-file]", { name, mimeType: "text/csv", buffer: sjis(text) });
  await page.waitForSelector("[data-testid=import-map-1]");
  await page.waitForFunction(() => !document.getElementById("imp-check").disabled);
}

test("a Shift_JIS CSV with a bad row is reported, fixed, imported as a job, and listed", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${appId}`);
  await page.click("[data-testid=import-link]");
  await page.waitForSelector("[data-testid=import-file]");
  assert.match(page.url(), new RegExp(`/apps/${appId}/import`));

  // Three bad rows: a number that is not one, a Heisei date after the era ended, a repeated unique 件名.
  await choose(page, "受付.csv", "件名,数,受付日\r\n髙橋さんの相談,１，２００,令和6年4月1日\r\n①の件,abc,2024/4/2\r\n㈱丸山の件,4,H31.5.1\r\n髙橋さんの相談,5,2024/4/4\r\n");
  assert.equal(await page.inputValue("[data-testid=import-encoding]"), "shift_jis", "Shift_JIS is detected");
  // 件名 and 受付日 match field names; 「数」 is mapped by hand.
  assert.equal(await page.inputValue("[data-testid=import-map-0]"), "件名");
  assert.equal(await page.inputValue("[data-testid=import-map-1]"), "");
  await page.selectOption("[data-testid=import-map-1]", "数量");
  await page.click("[data-testid=import-check]");
  // Before the change 「数」 was not imported (two errors); after the check all three show.
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=import-errors] tbody tr").length === 3);
  const error = await page.locator("[data-testid=import-errors] [data-testid=import-entry-0] td").allTextContents();
  assert.equal(error[0], "3", "the row of the file");
  assert.equal(error[1], "数", "the column's header");
  assert.ok(error[2].length > 0 && !/[a-z]+\.[a-z_]+\.[a-z_]+/.test(error[2]), "a message, not a key: " + error[2]);
  const rows = await page.locator("[data-testid=import-errors] tbody tr").evaluateAll((trs) => trs.map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent]));
  assert.deepEqual(rows, [["3", "数"], ["4", "受付日"], ["5", "件名"]]);
  assert.ok(await page.isDisabled("[data-testid=import-run]"), "nothing runs with errors");
  // The preview shows the values as they will be stored: 1200 and 2024-04-01.
  const preview = await page.locator("[data-testid=import-preview] tbody tr").first().locator("td").allTextContents();
  assert.deepEqual(preview.slice(1), ["髙橋さんの相談", "1200", "2024-04-01"]);
  await shot(page, "errors");
  assert.equal((await api("GET", `records.json?app=${appId}`)).records.length, 0, "the check wrote nothing");

  // The fixed file.
  await choose(page, "受付.csv", "件名,数,受付日\r\n髙橋さんの相談,１，２００,令和6年4月1日\r\n①の件,3,2024/4/2\r\n㈱丸山の件,4,R6.4.3\r\n");
  await page.selectOption("[data-testid=import-map-1]", "数量");
  await page.click("[data-testid=import-check]");
  await page.waitForSelector("[data-testid=import-report-ok]:not([hidden])");
  await page.waitForFunction(() => !document.getElementById("imp-run").disabled);
  await shot(page, "checked");
  await page.click("[data-testid=import-run]");
  await page.waitForSelector("[data-testid=import-progress]:not([hidden])");
  // The progress survives a reload: the import id is in the URL.
  await page.reload();
  await page.waitForSelector("[data-testid=import-done]:not([hidden])", { timeout: 30000 });
  assert.match(await page.textContent("[data-testid=import-done]"), /3/);
  assert.equal(await page.getAttribute("[data-testid=import-bar]", "value"), "100");
  await shot(page, "done");

  await page.click("[data-testid=import-to-list]");
  await page.waitForSelector("[data-testid=records-table]");
  await page.waitForFunction(() => document.querySelectorAll("[data-testid^=record-row-]").length === 3);
  const text = await page.textContent("[data-testid=records-table]");
  assert.ok(text.includes("髙橋さんの相談") && text.includes("㈱丸山の件"), text);
  await shot(page, "list");
  const records = (await api("GET", `records.json?app=${appId}&query=${encodeURIComponent("order by $id asc")}`)).records;
  assert.deepEqual(records.map((r) => [r.件名.value, r.数量.value, r.受付日.value]),
    [["髙橋さんの相談", "1200", "2024-04-01"], ["①の件", "3", "2024-04-02"], ["㈱丸山の件", "4", "2024-04-03"]]);

  // Re-importing a corrected file updates by key: 件名 is unique, so it can be the key.
  await page.goto(`${server.baseUrl}/apps/${appId}/import`);
  await choose(page, "訂正.csv", "件名,数,受付日\r\n①の件,30,2024/4/12\r\n㈱丸山の件,40,2024/4/13\r\n");
  await page.selectOption("[data-testid=import-map-1]", "数量");
  await page.check("[data-testid=import-mode-update]");
  await page.selectOption("[data-testid=import-key]", "件名");
  await page.click("[data-testid=import-check]");
  await page.waitForSelector("[data-testid=import-report-ok]:not([hidden])");
  await page.waitForFunction(() => !document.getElementById("imp-run").disabled);
  await page.click("[data-testid=import-run]");
  await page.waitForSelector("[data-testid=import-done]:not([hidden])", { timeout: 30000 });
  assert.match(await page.textContent("[data-testid=import-done]"), /2 件のレコードを更新しました/);
  await shot(page, "updated");
  const after = (await api("GET", `records.json?app=${appId}&query=${encodeURIComponent("order by $id asc")}`)).records;
  assert.deepEqual(after.map((r) => [r.件名.value, r.数量.value, r.受付日.value]),
    [["髙橋さんの相談", "1200", "2024-04-01"], ["①の件", "30", "2024-04-12"], ["㈱丸山の件", "40", "2024-04-13"]]);
  assert.deepEqual(page.problems, []);
});
