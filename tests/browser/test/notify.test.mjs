// The bell in the browser (issue 13): an app manager sets a notification rule on the app's
// notification settings page (/apps/{id}/notifications) and publishes it; another user adds a
// record; the header's bell shows 1; the list (/notifications) links to the record, and opening
// it reads it, so the bell is clear again. Phone width too.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD, submitAndLoad } from "../lib.mjs";

let server, browser, app;
async function call(method, path, body, auth = "Administrator:" + ADMIN_PASSWORD) {
  const headers = { "X-Cybozu-Authorization": Buffer.from(auth).toString("base64"), "Content-Type": "application/json" };
  const url = path.startsWith("/") ? server.baseUrl + path : server.baseUrl + "/k/v1/" + path;
  const r = await fetch(url, { method, headers, body: body && JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${JSON.stringify(j)}`);
  return j;
}

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
  await call("POST", "/api/org/users.json", { code: "sato", name: "佐藤 花子", password: "pass-sato-12345", mustChangePassword: false });
  ({ app } = await call("POST", "preview/app.json", { name: "道路の相談" }));
  await call("POST", "preview/app/form/fields.json", { app, properties: {
    件名: { type: "SINGLE_LINE_TEXT", code: "件名", label: "件名" },
    担当: { type: "USER_SELECT", code: "担当", label: "担当" },
  } });
  await call("POST", "preview/app/deploy.json", { apps: [{ app }] });
  for (let i = 0; i < 50; i++) {
    const d = await call("GET", `preview/app/deploy.json?apps[0]=${app}`);
    if (d.apps[0].status !== "PROCESSING") break;
    await new Promise((r) => setTimeout(r, 100));
  }
});
after(async () => { await browser?.close(); await server?.stop(); });

async function bellCount(page) {
  const badge = await page.$("[data-testid=bell-count]");
  return badge ? Number((await badge.textContent()).trim()) : 0;
}

test("a rule set on the page brings another user's new record to the bell; reading clears it", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}/notifications`);
  await page.waitForSelector("#ns-workspace:not([hidden])");
  assert.equal(await page.getAttribute("[data-testid=tab-notifications]", "aria-current"), "page");
  assert.equal(await page.$$eval("[data-testid=ns-general-row]", (r) => r.length), 0);
  // Pick Administrator (themselves) by name and keep "record added" on.
  await page.fill("[data-testid=ns-general-picker-box-search]", "Admin");
  await page.click("[data-testid=ns-general-picker-box-hit-0]");
  await page.waitForSelector("[data-testid=ns-general-row]");
  assert.equal(await page.isChecked("[data-testid=ns-general-0-recordAdded]"), true);
  await page.uncheck("[data-testid=ns-general-0-recordEdited]");
  await page.screenshot({ path: "/tmp/notify-settings-desktop.png", fullPage: true });
  await page.click("[data-testid=ns-publish]");
  await page.waitForFunction(() => /更新しました/.test(document.querySelector("[data-testid=ns-message]")?.textContent || ""), null, { timeout: 30000 });
  const live = await call("GET", `app/notifications/general.json?app=${app}`);
  assert.deepEqual(live.notifications.map((n) => [n.entity.code, n.recordAdded, n.recordEdited]), [["Administrator", true, false]]);

  await page.goto(server.baseUrl + "/");
  assert.equal(await bellCount(page), 0);
  const { id } = await call("POST", "record.json", { app, record: { 件名: { value: "県道の陥没" } } }, "sato:pass-sato-12345");
  let n = 0;
  for (let i = 0; i < 60 && n === 0; i++) {
    await new Promise((r) => setTimeout(r, 250));
    await page.reload();
    n = await bellCount(page);
  }
  assert.equal(n, 1, "the bell shows one unread notification");
  await page.screenshot({ path: "/tmp/notify-bell-desktop.png" });

  await page.click("[data-testid=nav-bell]");
  await page.waitForSelector("[data-testid=notify-item]");
  assert.equal(await page.$$eval("[data-testid=notify-item].unread", (r) => r.length), 1);
  assert.match(await page.textContent("[data-testid=notify-item]"), /県道の陥没/);
  assert.match(await page.textContent("[data-testid=notify-item]"), /アプリの通知/);
  assert.match(await page.textContent("[data-testid=notify-item]"), /佐藤 花子/, "who added it, by name");
  await page.screenshot({ path: "/tmp/notify-list-desktop.png", fullPage: true });
  await Promise.all([page.waitForURL(`${server.baseUrl}/apps/${app}/records/${id}`), page.click("[data-testid=notify-link]")]);
  assert.equal(await bellCount(page), 0, "opening the notification read it");
  await page.goto(server.baseUrl + "/notifications");
  assert.equal(await page.$$eval("[data-testid=notify-item].unread", (r) => r.length), 0);
  assert.deepEqual(page.problems, []);
});

test("mark all read, at phone width", async () => {
  for (const title of ["歩道の段差", "街灯の故障"]) {
    await call("POST", "record.json", { app, record: { 件名: { value: title } } }, "sato:pass-sato-12345");
  }
  const page = await signedInPage(browser, server.baseUrl, { width: 390, height: 844 });
  let n = 0;
  for (let i = 0; i < 60 && n < 2; i++) {
    await page.goto(server.baseUrl + "/notifications");
    n = await bellCount(page);
    if (n < 2) await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(n, 2);
  assert.match(await page.textContent("[data-testid=notify-unread-summary]"), /未読 2 件/);
  await page.screenshot({ path: "/tmp/notify-list-phone.png", fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling at phone width (${overflow}px)`);
  await submitAndLoad(page, () => page.click("[data-testid=notify-read-all]"));
  await page.waitForFunction(() => !document.querySelector("[data-testid=bell-count]"));
  assert.equal(await page.$$eval("[data-testid=notify-item].unread", (r) => r.length), 0);
  await page.goto(`${server.baseUrl}/apps/${app}/notifications`);
  await page.waitForSelector("#ns-workspace:not([hidden])");
  await page.screenshot({ path: "/tmp/notify-settings-phone.png", fullPage: true });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 1, `the settings page fits the phone (${wide}px too wide)`);
  assert.deepEqual(page.problems, []);
});
