// General settings in the browser (/apps/{id}/general): an app manager picks an icon, the record title
// field, the view to open first and a description, saves, publishes; the portal and the list page show
// the icon, search hits are titled by the chosen field; with review required, publishing points to the
// review page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser, app, viewId;
async function api(method, path, body) {
  const headers = { "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" };
  const url = path.startsWith("/") ? server.baseUrl + path : server.baseUrl + "/k/v1/" + path;
  const r = await fetch(url, { method, headers, body: body && JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${JSON.stringify(j)}`);
  return j;
}

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
  ({ app } = await api("POST", "preview/app.json", { name: "備品貸出管理" }));
  await api("POST", "preview/app/form/fields.json", { app, properties: {
    備品名: { type: "SINGLE_LINE_TEXT", code: "備品名", label: "備品名" },
    管理番号: { type: "SINGLE_LINE_TEXT", code: "管理番号", label: "管理番号" },
    数量: { type: "NUMBER", code: "数量", label: "数量" },
    備考: { type: "MULTI_LINE_TEXT", code: "備考", label: "備考" },
  } });
  const views = await api("PUT", "preview/app/views.json", { app, views: {
    すべて: { type: "LIST", index: "0", fields: ["備品名", "管理番号"] },
    貸出中: { type: "LIST", index: "1", fields: ["管理番号", "備品名", "数量"] },
  } });
  viewId = views.views["貸出中"].id;
  await api("POST", "preview/app/deploy.json", { apps: [{ app }] });
  for (let i = 0; i < 50; i++) {
    const d = await api("GET", `preview/app/deploy.json?apps[0]=${app}`);
    if (d.apps[0].status !== "PROCESSING") break;
    await new Promise((r) => setTimeout(r, 100));
  }
});
after(async () => { await browser?.close(); await server?.stop(); });

async function imageLoaded(page, selector) {
  await page.waitForSelector(selector);
  return page.$eval(selector, (img) => img.complete && img.naturalWidth > 0);
}

test("an app manager sets icon, title field, default view and description, saves and publishes", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}/general`);
  await page.waitForSelector("#g-form:not([hidden])");
  assert.equal(await page.getAttribute("[data-testid=general-status]", "data-state"), "published", "nothing to save on opening");
  assert.equal(await page.inputValue("[data-testid=general-name]"), "備品貸出管理");
  assert.match(await page.textContent("#g-title-auto-label"), /備品名/, "automatic title names the field in use");
  assert.equal(await page.isChecked("[data-testid=general-title-auto]"), true);

  await page.click("label:has([data-testid=general-icon-box])");
  await page.check("[data-testid=general-title-manual]");
  await page.selectOption("[data-testid=general-title-field]", "管理番号");
  await page.selectOption("[data-testid=general-default-view]", viewId);
  await page.fill("[data-testid=general-description]", "総務課の備品の貸出と返却を記録します。問い合わせ: 内線1234");
  assert.equal(await page.getAttribute("[data-testid=general-status]", "data-state"), "dirty");
  await page.screenshot({ path: "/tmp/general-settings-desktop.png", fullPage: true });

  await page.click("[data-testid=general-save]");
  await page.waitForSelector("[data-testid=general-status][data-state=unpublished]");
  assert.match(await page.textContent("[data-testid=general-message]"), /保存しました/);
  const pre = await api("GET", `preview/app/settings.json?app=${app}`);
  assert.deepEqual(pre.icon, { type: "PRESET", key: "box" });
  assert.deepEqual(pre.titleField, { selectionMode: "MANUAL", code: "管理番号" });
  assert.equal(pre.defaultView, viewId);
  const liveBefore = await api("GET", `app/settings.json?app=${app}`);
  assert.equal(liveBefore.icon.key, "APP72", "saved, not yet live");
  assert.match(await page.getAttribute("#g-head-icon", "src"), /box\.svg$/);

  await page.click("[data-testid=general-publish]");
  await page.waitForSelector("[data-testid=general-status][data-state=published]", { timeout: 30000 });
  await page.waitForSelector("[data-testid=general-open-app]");
  const live = await api("GET", `app/settings.json?app=${app}`);
  assert.deepEqual(live.icon, { type: "PRESET", key: "box" });
  assert.deepEqual(live.titleField, { selectionMode: "MANUAL", code: "管理番号" });
  assert.equal(live.defaultView, viewId, "the record list reads the default view here");
  assert.equal(live.description, "総務課の備品の貸出と返却を記録します。問い合わせ: 内線1234");

  // The page opens again with what was saved, and nothing unsaved.
  await page.reload();
  await page.waitForSelector("#g-form:not([hidden])");
  assert.equal(await page.isChecked("[data-testid=general-icon-box]"), true);
  assert.equal(await page.inputValue("[data-testid=general-title-field]"), "管理番号");
  assert.equal(await page.inputValue("[data-testid=general-default-view]"), viewId);
  assert.equal(await page.getAttribute("[data-testid=general-status]", "data-state"), "published");

  // The portal and the app's list show the icon.
  await page.goto(server.baseUrl + "/");
  assert.match(await page.getAttribute(`[data-testid=app-icon-${app}]`, "src"), /\/static\/app-icons\/box\.svg$/);
  assert.ok(await imageLoaded(page, `[data-testid=app-icon-${app}]`), "portal icon loads");
  await page.screenshot({ path: "/tmp/general-settings-portal.png" });
  await page.goto(`${server.baseUrl}/apps/${app}`);
  assert.ok(await imageLoaded(page, "[data-testid=app-title-icon]"), "list page icon loads");

  // Search hits are titled by the chosen field.
  await api("POST", "record.json", { app, record: { 備品名: { value: "プロジェクター" }, 管理番号: { value: "備-0042" } } });
  let hit;
  for (let i = 0; i < 100 && !hit; i++) {
    const r = await api("GET", "/api/search.json?q=" + encodeURIComponent("プロジェクター"));
    hit = r.hits && r.hits[0];
    if (!hit) await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(hit?.title, "備-0042");
  assert.deepEqual(page.problems, []);
});

test("a missing name is shown beside the field and nothing is saved", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}/general`);
  await page.waitForSelector("#g-form:not([hidden])");
  const before = await api("GET", `preview/app/settings.json?app=${app}`);
  await page.fill("[data-testid=general-name]", "  ");
  await page.click("[data-testid=general-save]");
  await page.waitForSelector("[data-testid=general-name-error]:has-text('アプリ名')");
  const after = await api("GET", `preview/app/settings.json?app=${app}`);
  assert.equal(after.revision, before.revision);
  await page.fill("[data-testid=general-name]", "備品貸出管理");
  assert.equal(await page.getAttribute("[data-testid=general-status]", "data-state"), "published");
  assert.deepEqual(page.problems, []);
});

test("on a phone the page fits, and with review required publishing points to the review page", async () => {
  const page = await signedInPage(browser, server.baseUrl, { width: 390, height: 844 });
  await page.goto(`${server.baseUrl}/apps/${app}/general`);
  await page.waitForSelector("#g-form:not([hidden])");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);
  await page.screenshot({ path: "/tmp/general-settings-phone.png", fullPage: true });

  // Administrators switch review on here.
  await page.check("[data-testid=general-review]");
  await page.fill("[data-testid=general-code]", "BIHIN");
  await page.click("[data-testid=general-save]");
  await page.waitForSelector("[data-testid=general-status][data-state=unpublished]");
  assert.equal((await api("GET", `preview/app/settings.json?app=${app}`)).requireReview, true);
  await page.click("[data-testid=general-publish]");
  await page.waitForSelector("[data-testid=general-review-link]");
  assert.match(await page.textContent("[data-testid=general-message]"), /審査/);
  assert.equal(await page.getAttribute("[data-testid=general-review-link]", "href"), `/apps/${app}/review`);
  assert.deepEqual(page.problems, []);
});
