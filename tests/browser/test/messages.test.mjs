// Messages as keys: the Japanese texts shown beside the fields of a record form are the server's
// catalog texts (platform/i18n/records.ja.json), rendered by the server for the signed-in user; the
// page translates nothing. Rewording an English message in Rust leaves this test green.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

const catalog = JSON.parse(readFileSync(fileURLToPath(new URL("../../../platform/i18n/records.ja.json", import.meta.url)), "utf8"));
const ja = (key, v) => catalog[key].replace("{v}", v ?? "");

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
    管理番号: { type: "SINGLE_LINE_TEXT", code: "管理番号", label: "管理番号", unique: true },
    数量: { type: "NUMBER", code: "数量", label: "数量", maxValue: "10" },
    型番: { type: "SINGLE_LINE_TEXT", code: "型番", label: "型番", maxLength: "5" },
  } });
  await api("POST", "preview/app/deploy.json", { apps: [{ app: appId }] });
  for (let i = 0; i < 50; i++) {
    const { apps } = await api("GET", `preview/app/deploy.json?apps[0]=${appId}`);
    if (apps[0].status === "SUCCESS") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await api("POST", "record.json", { app: appId, record: { 管理番号: { value: "PJ-001" } } });
});
after(async () => { await browser?.close(); await server?.stop(); });

test("the Japanese texts beside fields are the server catalog's", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${appId}/records/new`);
  await page.waitForSelector("[data-testid=record-form]");
  const save = async () => {
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().includes("/k/v1/record.json") && r.request().method() === "POST"),
      page.click("[data-testid=save-record]"),
    ]);
    assert.equal(resp.status(), 400);
    assert.ok(resp.headers()["x-request-id"], "the response names its request id");
    return resp.json();
  };
  const shown = async (code) => (await page.textContent(`[data-testid=error-${code}]`)).trim();
  await page.fill("[data-testid=field-管理番号]", "PJ-002");
  await page.fill("[data-testid=field-数量]", "11");
  await page.fill("[data-testid=field-型番]", "ABCDEFG");
  const body = await save();
  await page.waitForSelector("[data-testid=error-数量]:not([hidden])");
  assert.equal(await shown("数量"), ja("records.err.max_value", "10"));
  assert.equal(await shown("型番"), ja("records.err.max_length", "6"));
  // The envelope itself carried the Japanese texts: the page only placed them.
  assert.deepEqual(body.errors["record.数量.value"].messages, [ja("records.err.max_value", "10")]);
  // The unique check runs once the values are valid.
  await page.fill("[data-testid=field-管理番号]", "PJ-001");
  await page.fill("[data-testid=field-数量]", "3");
  await page.fill("[data-testid=field-型番]", "AB");
  await save();
  await page.waitForSelector("[data-testid=error-管理番号]:not([hidden])");
  assert.equal(await shown("管理番号"), ja("records.err.unique"));
  assert.equal(await shown("数量"), "");
  assert.deepEqual(page.problems, []);
});
