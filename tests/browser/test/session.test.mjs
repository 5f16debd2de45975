// Sign-in, the portal, switching the language, and sign-out.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test("sign in, see the example apps, switch language, sign out", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  assert.match(await page.title(), /ポータル/);
  const apps = await page.locator("[data-testid=app-list] .app-name").allTextContents();
  assert.deepEqual(apps, ["調査照会", "職員名簿", "文書書庫", "文書収受簿", "相談案件管理"]);
  await page.click("[data-testid=switch-language]");
  await page.waitForSelector("text=Portal");
  assert.match(await page.title(), /Portal/);
  await page.click("[data-testid=switch-language]");
  await page.waitForSelector("h1:has-text('ポータル')");
  await page.click("text=ログアウト");
  await page.waitForURL(/\/login/);
  const resp = await page.goto(server.baseUrl + "/");
  assert.match(page.url(), /\/login\?next=/, "signed out: the portal asks to sign in again");
  assert.equal(resp.status(), 200);
  assert.deepEqual(page.problems, []);
});

test("a wrong password keeps the login name and says why", async () => {
  const context = await browser.newContext({ locale: "ja-JP" });
  const page = await context.newPage();
  await page.goto(server.baseUrl + "/login");
  await page.fill("input[name=login]", "Administrator");
  await page.fill("input[name=password]", "wrong-password");
  await page.click("form[action='/login'] button[type=submit]");
  await page.waitForSelector(".alert.error");
  assert.match(await page.textContent(".alert.error"), /正しくありません/);
  assert.equal(await page.inputValue("input[name=login]"), "Administrator");
  await page.fill("input[name=password]", ADMIN_PASSWORD);
  await page.click("form[action='/login'] button[type=submit]");
  await page.waitForURL(server.baseUrl + "/");
  await context.close();
});

test("a phone-width portal has no horizontal scrolling", async () => {
  const page = await signedInPage(browser, server.baseUrl, { width: 375, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
});

test("the portal shows how many records are assigned to me", async () => {
  const headers = { "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" };
  const call = async (method, path, body) => {
    const r = await fetch(server.baseUrl + "/k/v1/" + path, { method, headers, body: JSON.stringify(body) });
    const j = await r.json();
    if (!r.ok) throw new Error(JSON.stringify(j));
    return j;
  };
  const { app } = await call("POST", "preview/app.json", { name: "相談受付" });
  await call("POST", "preview/app/form/fields.json", { app, properties: { 件名: { type: "SINGLE_LINE_TEXT", code: "件名", label: "件名" } } });
  await call("PUT", "preview/app/status.json", { app, enable: true,
    states: { 受付: { name: "受付", index: "0" }, 対応中: { name: "対応中", index: "1", assignee: { type: "ONE", entities: [{ entity: { type: "USER", code: "Administrator" } }] } } },
    actions: [{ name: "対応開始", from: "受付", to: "対応中" }] });
  await call("POST", "preview/app/deploy.json", { apps: [{ app }] });
  const { id } = await call("POST", "record.json", { app, record: { 件名: { value: "窓口の相談" } } });
  await call("PUT", "record/status.json", { app, id, action: "対応開始", assignee: "Administrator" });
  const page = await signedInPage(browser, server.baseUrl);
  await page.waitForSelector(`[data-testid=assigned-${app}]`);
  assert.match(await page.textContent(`[data-testid=assigned-${app}]`), /1件/);
  await page.click(`[data-testid=assigned-${app}]`);
  await page.waitForFunction(() => document.querySelectorAll("[data-testid^=record-row-]").length === 1);
});
