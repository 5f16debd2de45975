// Building an app in the browser: create a blank app from the portal, drag ten field types from the
// palette onto the form, save, publish, and add a record to the published app.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser;
before(async () => { server = await startServer({ examples: false }); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const TYPES = ["SINGLE_LINE_TEXT", "MULTI_LINE_TEXT", "NUMBER", "DATE", "DATETIME", "DROP_DOWN", "CHECK_BOX",
  "RADIO_BUTTON", "USER_SELECT", "FILE", "LINK", "TIME", "SUBTABLE"];

test("drag ten field types from the palette, save and publish", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.fill("[data-testid=new-app-name]", "相談案件管理");
  await Promise.all([page.waitForURL(/\/apps\/\d+\/settings/), page.click("[data-testid=create-blank]")]);
  const appId = page.url().match(/apps\/(\d+)/)[1];
  await page.waitForSelector("[data-testid=canvas]");
  for (const type of TYPES) {
    const gaps = await page.$$("[data-testid^=canvas-gap-]");
    const target = gaps.length ? `[data-testid=canvas-gap-${gaps.length - 1}]` : "[data-testid=canvas]";
    await page.dragAndDrop(`[data-testid=palette-${type}]`, target);
  }
  const placed = await page.$$eval("[data-testid=canvas] [data-testid^=field-]", (els) => els.length);
  assert.ok(placed >= TYPES.length, `placed ${placed} fields`);
  await page.click("[data-testid=save]");
  await page.waitForSelector("[data-testid=status][data-state=unpublished]", { timeout: 20000 });
  await page.click("[data-testid=publish]");
  await page.waitForSelector("[data-testid=status][data-state=published]", { timeout: 20000 });

  const headers = { "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64") };
  const live = await (await fetch(`${server.baseUrl}/k/v1/app/form/fields.json?app=${appId}`, { headers })).json();
  const types = new Set(Object.values(live.properties).map((p) => p.type));
  for (const type of TYPES) assert.ok(types.has(type), `the live form has a ${type} field`);

  // The published app takes records.
  await page.goto(`${server.baseUrl}/apps/${appId}/records/new`);
  await page.waitForSelector("[data-testid=record-form]");
  await page.click("[data-testid=save-record]");
  await page.waitForSelector("[data-testid=saved-message]");
  assert.deepEqual(page.problems, []);
});

test("the designer refuses a type change and explains why", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.fill("[data-testid=new-app-name]", "型変更テスト");
  await Promise.all([page.waitForURL(/\/apps\/\d+\/settings/), page.click("[data-testid=create-blank]")]);
  await page.dragAndDrop("[data-testid=palette-NUMBER]", "[data-testid=canvas]");
  await page.click("[data-testid=save]");
  await page.waitForSelector("[data-testid=status][data-state=unpublished]", { timeout: 20000 });
  await page.click("[data-testid=canvas] [data-testid^=field-]");
  await page.waitForSelector("[data-testid=panel-type-locked]");
  assert.ok((await page.textContent("[data-testid=panel-type-locked]")).length > 10);
});
