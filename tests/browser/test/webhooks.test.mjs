// Webhooks in the browser (issue 13 part "webhooks"): an app manager adds a webhook on the app's
// Webhook tab, a record is added, the receiver (a small HTTP server in this test) gets kintone's
// ADD_RECORD payload and the delivery log on the page shows it delivered. Desktop and phone width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { startServer, launchBrowser, signedInPage } from "../lib.mjs";

const BACKEND = process.env.KUMIKI_BACKEND || "sqlite";
const shot = (page, name) => page.screenshot({ path: `/tmp/e2e-webhooks-${name}-${BACKEND}.png`, fullPage: true });

let server, browser, receiver;
const received = [];
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => { received.push({ headers: req.headers, body }); res.writeHead(200); res.end("ok"); });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
});
after(async () => { await browser?.close(); await server?.stop(); receiver?.close(); });

/** Calls the API from inside the signed-in page (session cookie + CSRF). */
function api(page, method, path, body) {
  return page.evaluate(([m, p, b]) => window.KUMIKI.api(m, p, b), [method, path, body]);
}

test("add a webhook, add a record, the log shows it delivered", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/`);
  const created = await api(page, "POST", "/k/v1/preview/app.json", { name: "Webhook試験" });
  const app = created.app;
  await api(page, "POST", "/k/v1/preview/app/form/fields.json", { app, properties: { 件名: { type: "SINGLE_LINE_TEXT", code: "件名", label: "件名" } } });
  await page.evaluate((a) => window.KUMIKI.deploy(a), app);

  await page.goto(`${server.baseUrl}/apps/${app}/webhooks`);
  await page.waitForSelector("[data-testid=webhook-add]");
  assert.equal(await page.getAttribute("[data-testid=tab-webhooks]", "aria-current"), "page");
  await page.click("[data-testid=webhook-add]");
  await page.fill("[data-testid=webhook-name]", "庁内連携");
  // The server itself is refused with a message at the field.
  await page.fill("[data-testid=webhook-url]", `${server.baseUrl}/k/v1/record.json`);
  await page.click("[data-testid=webhook-save]");
  await page.waitForSelector("[data-testid=webhook-url-error]:not([hidden])");
  const port = receiver.address().port;
  await page.fill("[data-testid=webhook-url]", `http://127.0.0.1:${port}/hook`);
  assert.ok(await page.isChecked("[data-testid=webhook-event-ADD_RECORD]"));
  await page.check("[data-testid=webhook-event-UPDATE_RECORD]");
  await page.click("[data-testid=webhook-save]");
  await page.waitForSelector("[data-testid=webhook-item-0]");
  assert.match(await page.textContent("[data-testid=webhook-item-0]"), /庁内連携/);
  await page.click("[data-testid=webhook-secret-show]");
  await page.waitForSelector("[data-testid=webhook-secret]:not([hidden])");
  assert.equal((await page.textContent("[data-testid=webhook-secret]")).length, 40);

  const added = await api(page, "POST", "/k/v1/record.json", { app, record: { 件名: { value: "ブラウザから" } } });
  const deadline = Date.now() + 20000;
  for (;;) {
    await page.click("[data-testid=webhook-log-refresh]");
    await page.waitForTimeout(500);
    if (await page.$("[data-testid=webhook-log-row][data-state=delivered]")) break;
    assert.ok(Date.now() < deadline, "no delivered row in the log");
  }
  assert.match(await page.textContent("[data-testid=webhook-log-state]"), /送信済み/);
  assert.equal(received.length, 1);
  const payload = JSON.parse(received[0].body);
  assert.equal(payload.type, "ADD_RECORD");
  assert.equal(payload.record.$id.value, added.id);
  assert.equal(received[0].headers["x-kumiki-delivery"], payload.id);
  await shot(page, "desktop");
  await page.setViewportSize({ width: 375, height: 800 });
  await page.reload();
  await page.waitForSelector("[data-testid=webhook-log-row]");
  await page.click("[data-testid=webhook-item-0]");
  await shot(page, "phone");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  assert.equal(overflow, false, "the page scrolls sideways at phone width");
  assert.deepEqual(page.problems, []);
});
