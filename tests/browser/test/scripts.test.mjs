// Scripts in the browser: the editor of the example intake register (文書収受簿, app 4) shows a syntax
// error on save with its line highlighted, a test run shows the value a script computes, and the
// record form computes the due date live through the field.change script.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage } from "../lib.mjs";

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const INTAKE = 4;

test("the editor shows a syntax error at its line, and a test run shows a value", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${INTAKE}/settings`);
  await Promise.all([page.waitForURL(/\/scripts$/), page.click("[data-testid=scripts-link]")]);
  await page.waitForSelector("[data-testid=script-item-0]");
  assert.equal(await page.inputValue("[data-testid=script-name]"), "文書番号の採番");
  assert.ok(await page.isChecked("[data-testid=script-event-create\\.submit]"));

  // A broken third line: saving names the script and the line, and the gutter marks line 3.
  await page.click("[data-testid=script-item-1]");
  const source = page.locator("[data-testid=script-source]");
  await source.fill("let a = 1;\nlet b = 2;\nlet c = ;\n");
  await page.click("[data-testid=scripts-save]");
  await page.waitForSelector("[data-testid=script-failure]:not([hidden])");
  const failure = await page.textContent("[data-testid=script-failure]");
  assert.match(failure, /3/, failure);
  await page.waitForSelector(".code-ln-error[data-line='3']");

  // Tab indents inside the editor.
  await source.fill("");
  await source.press("Tab");
  assert.equal(await source.inputValue(), "  ");

  // A test run of the edited (unsaved) script against record 1 shows the value it sets.
  await source.fill('record["件名"] = "テスト実行の値";\nlog("done");\n');
  await page.fill("[data-testid=script-test-id]", "1");
  await page.click("[data-testid=script-test-run]");
  await page.waitForSelector("[data-testid=script-test-ok]");
  const change = await page.textContent("[data-testid=script-test-change-件名]");
  assert.match(change, /テスト実行の値/);
  assert.match(await page.textContent("[data-testid=script-test-logs]"), /done/);
  // Nothing was saved.
  const api = await page.evaluate(async () => (await fetch("/k/v1/record.json?app=4&id=1", { headers: { "X-CSRF-Token": window.KUMIKI.csrf, "X-Requested-With": "XMLHttpRequest" } })).json());
  assert.notEqual(api.record["件名"].value, "テスト実行の値");
  assert.deepEqual(page.problems, []);
});

test("the record form computes the due date live", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${INTAKE}/records/new`);
  await page.waitForSelector("[data-testid=record-form]");
  await page.fill("[data-testid=field-受付日]", "2026-11-27");
  await page.locator("[data-testid=field-受付日]").dispatchEvent("change");
  await page.waitForFunction(() => document.querySelector("[data-testid='field-回答期限']").value === "2026-12-17");
  await page.fill("[data-testid=field-連絡先電話番号]", "12");
  await page.locator("[data-testid=field-連絡先電話番号]").dispatchEvent("change");
  await page.waitForSelector("[data-testid='error-連絡先電話番号']:not([hidden])");
  // Saving runs the submit scripts on the server: their field errors come back beside the fields.
  await page.fill("[data-testid=field-件名]", "調査について");
  await page.selectOption("[data-testid=field-担当課]", "総務");
  await page.selectOption("[data-testid=field-発出元]", "総務省");
  await page.fill("[data-testid=field-発出日]", "2026-11-20");
  await page.click("[data-testid=save-record]");
  await page.waitForSelector("[data-testid=form-error]");
  assert.match(await page.textContent("[data-testid='error-連絡先電話番号']"), /電話番号/);
  // Fixed, the record saves with its number and due date.
  await page.fill("[data-testid=field-連絡先電話番号]", "０２６－２３５－７１１１");
  await page.click("[data-testid=save-record]");
  await page.waitForSelector("[data-testid=saved-message]");
  await page.waitForFunction(() => /R8-総務-0001/.test(document.getElementById("record-detail-root").textContent));
  assert.deepEqual(page.problems, []);
});

test("a field typed while the due date is being computed keeps what was typed", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${INTAKE}/records/new`);
  await page.waitForSelector("[data-testid=record-form]");
  // A slow server: the live answer for 受付日 arrives only after 件名 was typed.
  let release;
  const held = new Promise((ok) => { release = ok; });
  let asked = 0;
  await page.route("**/api/record/script/change.json*", async (route) => { asked++; await held; await route.continue(); });
  await page.fill("[data-testid=field-受付日]", "2026-11-27");
  await page.locator("[data-testid=field-受付日]").dispatchEvent("change");
  while (asked === 0) await new Promise((r) => setTimeout(r, 50));
  await page.fill("[data-testid=field-件名]", "保留中に入力した件名");
  release();
  await page.waitForFunction(() => document.querySelector("[data-testid='field-回答期限']").value === "2026-12-17");
  assert.equal(await page.inputValue("[data-testid=field-件名]"), "保留中に入力した件名");
  assert.equal(await page.inputValue("[data-testid=field-受付日]"), "2026-11-27");
  assert.deepEqual(page.problems, []);
});

test("a script's other apps and who last changed the scripts are shown", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${INTAKE}/scripts`);
  await page.waitForSelector("[data-testid=script-item-3]");
  await page.waitForSelector("[data-testid=scripts-changed]:not([hidden])");
  assert.match(await page.textContent("[data-testid=scripts-changed]"), /Administrator/);
  // The archive script declares the archive app (by its app code) for writing.
  await page.click("[data-testid=script-item-3]");
  assert.equal(await page.inputValue("[data-testid=script-app-0]"), "ARCHIVE");
  assert.equal(await page.inputValue("[data-testid=script-app-access-0]"), "write");
  await page.screenshot({ path: "/tmp/kumiki-scripts-apps.png", fullPage: true });
  assert.deepEqual(page.problems, []);
});
