// Records like kintone, in the browser: the list page's one search box (width-folded `like`), the
// app's default view, previous/next within a sorted and filtered list, copying a record (再利用),
// editing a row in the list (with a conflict), bulk update and bulk delete of the filtered records
// with confirmations, and the phone layout (cards, actions in a menu, no horizontal scroll).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser, appId;
const ids = {};
const auth = () => ({ "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" });
async function call(method, path, body) {
  const resp = await fetch(server.baseUrl + path, { method, headers: auth(), body: body && JSON.stringify(body) });
  const json = await resp.json();
  if (!resp.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}
const api = (method, path, body) => call(method, "/k/v1/" + path, body);
const shot = (page, name, fullPage = true) => page.screenshot({ path: `/tmp/record_tools-${name}-${process.env.KUMIKI_BACKEND || "sqlite"}.png`, fullPage });
const rowCount = (page) => page.locator("[data-testid^=record-row-]").count();
async function rowsAre(page, n) {
  await page.waitForFunction((n) => document.querySelectorAll("[data-testid^=record-row-]").length === n, n);
}
async function allRecords(query) {
  const b = await api("GET", "records.json?app=" + appId + "&query=" + encodeURIComponent((query || "") + " limit 500"));
  return b.records;
}

// 数量 is not in id order, so a sort by 数量 gives an order different from the record numbers.
const qty = (i) => (i * 7) % 31;

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
  appId = (await api("POST", "preview/app.json", { name: "施設点検" })).app;
  await api("POST", "preview/app/form/fields.json", { app: appId, properties: {
    件名: { type: "SINGLE_LINE_TEXT", code: "件名", label: "件名" },
    所在地: { type: "SINGLE_LINE_TEXT", code: "所在地", label: "所在地" },
    区分: { type: "DROP_DOWN", code: "区分", label: "区分", options: { 定期: { label: "定期", index: "0" }, 臨時: { label: "臨時", index: "1" } } },
    数量: { type: "NUMBER", code: "数量", label: "数量" },
    備考: { type: "MULTI_LINE_TEXT", code: "備考", label: "備考" },
  } });
  await api("PUT", "preview/app/views.json", { app: appId, views: {
    すべて: { type: "LIST", name: "すべて", index: "0", fields: ["件名", "所在地", "区分", "数量", "備考"] },
    臨時のみ: { type: "LIST", name: "臨時のみ", index: "1", fields: ["件名", "区分", "数量"], filterCond: "区分 in (\"臨時\")" },
  } });
  await api("POST", "preview/app/deploy.json", { apps: [{ app: appId }] });
  for (let i = 0; i < 60; i++) {
    if ((await api("GET", "preview/app/deploy.json?apps[0]=" + appId)).apps[0].status === "SUCCESS") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const records = [];
  for (let i = 0; i < 24; i++) {
    records.push({ 件名: { value: (i < 14 ? "点検" : "修繕") + String(i).padStart(2, "0") }, 所在地: { value: "松本市" },
      区分: { value: i % 5 === 0 ? "臨時" : "定期" }, 数量: { value: String(qty(i)) } });
  }
  const added = await api("POST", "records.json", { app: appId, records });
  added.ids.forEach((id, i) => { ids[i] = id; });
  ids.komagane = (await api("POST", "record.json", { app: appId, record: { 件名: { value: "駒ヶ根市 ＤＸ推進 テレワーク" }, 所在地: { value: "駒ヶ根市" }, 区分: { value: "定期" }, 数量: { value: "3" }, 備考: { value: "本庁舎" } } })).id;
});
after(async () => { await browser?.close(); await server?.stop(); });

test("one search box per list page filters the list, folding widths, and offers full-text search", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${appId}`);
  await page.waitForSelector("[data-testid=records-table]");
  assert.equal(await page.locator("[data-testid=header-search]").count(), 0, "no header search box on a list");
  assert.equal(await page.locator("input[type=search]").count(), 1, "exactly one search box");
  assert.equal(await page.locator("[data-testid=app-search]").count(), 0);
  await page.fill("[data-testid=quick-search]", "駒ヶ根");
  await page.click("[data-testid=quick-search-submit]");
  await rowsAre(page, 1);
  await page.waitForSelector(`[data-testid=record-row-${ids.komagane}]`);
  // Full-width ＤＸ in the record, half-width dx typed; half-width ﾃﾚﾜｰｸ typed, テレワーク stored.
  for (const variant of ["dx", "ﾃﾚﾜｰｸ", "駒ヶ根市"]) {
    await page.fill("[data-testid=quick-search]", variant);
    await page.click("[data-testid=quick-search-submit]");
    await page.waitForFunction((id) => document.querySelectorAll("[data-testid^=record-row-]").length === 1 && !!document.querySelector(`[data-testid=record-row-${id}]`), ids.komagane);
  }
  assert.match(new URL(page.url()).searchParams.get("search"), /駒ヶ根市/, "the search is in the URL");
  const link = page.locator("[data-testid=fulltext-link]");
  assert.match(await link.textContent(), /コメント・添付ファイルも含めて全文検索/);
  const href = await link.getAttribute("href");
  assert.equal(new URL(href, server.baseUrl).searchParams.get("app"), String(appId));
  assert.equal(new URL(href, server.baseUrl).searchParams.get("q"), "駒ヶ根市");
  await Promise.all([page.waitForURL(/\/search\?/), link.click()]);
  await shot(page, "fulltext");
  // The record number finds its record too.
  await page.goto(`${server.baseUrl}/apps/${appId}?search=${ids[3]}`);
  await page.waitForSelector(`[data-testid=record-row-${ids[3]}]`);
  assert.deepEqual(page.problems, []);
});

test("the app's default view opens when the URL names none", async () => {
  const views = (await api("GET", "app/views.json?app=" + appId)).views;
  await api("PUT", "preview/app/settings.json", { app: appId, defaultView: views["臨時のみ"].id });
  await api("POST", "preview/app/deploy.json", { apps: [{ app: appId }] });
  for (let i = 0; i < 60; i++) {
    if ((await api("GET", "preview/app/deploy.json?apps[0]=" + appId)).apps[0].status === "SUCCESS") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${appId}`);
  await page.waitForSelector("[data-testid=records-table]");
  assert.equal(await page.inputValue("[data-testid=view-select]"), "臨時のみ");
  await rowsAre(page, 5);
  // Naming a view still wins.
  await page.goto(`${server.baseUrl}/apps/${appId}?view=${encodeURIComponent("すべて")}`);
  await rowsAre(page, 20);
  assert.deepEqual(page.problems, []);
});

test("previous and next follow a sorted, filtered list", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${appId}?view=${encodeURIComponent("すべて")}`);
  await page.waitForSelector("[data-testid=records-table]");
  await page.fill("[data-testid=quick-search]", "点検");
  await page.click("[data-testid=quick-search-submit]");
  await rowsAre(page, 14);
  await page.click("[data-testid=sort-数量]");
  await page.waitForFunction(() => /数量/.test(new URL(location.href).searchParams.get("sort") || ""));
  // The expected order: records 点検00..13 by 数量 ascending (ties by id, as the list sorts).
  const order = Array.from({ length: 14 }, (_, i) => i).sort((a, b) => qty(a) - qty(b) || Number(ids[a]) - Number(ids[b])).map((i) => String(ids[i]));
  await page.waitForFunction((first) => document.querySelector("tbody tr")?.getAttribute("data-testid") === "record-row-" + first, order[0]);
  await Promise.all([page.waitForURL(new RegExp(`/records/${order[0]}\\?`)), page.click(`[data-testid=record-link-${order[0]}]`)]);
  await page.waitForSelector("[data-testid=nav-next]");
  assert.match(await page.textContent("[data-testid=nav-position]"), /1 件目/);
  assert.equal(await page.locator("a[data-testid=nav-prev]").count(), 0, "the first record has no previous one");
  for (let k = 1; k < 4; k++) {
    await Promise.all([page.waitForURL(new RegExp(`/records/${order[k]}\\?`)), page.click("[data-testid=nav-next]")]);
    await page.waitForFunction((n) => (document.querySelector("[data-testid=nav-position]")?.textContent || "").includes(n + " 件目"), k + 1);
  }
  await shot(page, "detail-nav");
  await Promise.all([page.waitForURL(new RegExp(`/records/${order[2]}\\?`)), page.click("[data-testid=nav-prev]")]);
  await page.waitForSelector("[data-testid=nav-position]");
  // Back to the list with its search and sort.
  await Promise.all([page.waitForURL(/\/apps\/\d+\?/), page.click("[data-testid=back-to-list]")]);
  assert.equal(new URL(page.url()).searchParams.get("search"), "点検");
  await rowsAre(page, 14);
  assert.deepEqual(page.problems, []);
});

test("copy a record (再利用): the new form starts with its values", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${appId}/records/${ids.komagane}`);
  await Promise.all([page.waitForURL(/\/records\/new\?copy=/), page.click("[data-testid=copy-record]")]);
  await page.waitForSelector("[data-testid=copy-note]");
  assert.equal(await page.inputValue("[data-testid=field-件名]"), "駒ヶ根市 ＤＸ推進 テレワーク");
  assert.equal(await page.inputValue("[data-testid=field-備考]"), "本庁舎");
  await page.fill("[data-testid=field-件名]", "駒ヶ根市 第二庁舎");
  await Promise.all([page.waitForURL(/\/records\/\d+\?saved=1/), page.click("[data-testid=save-record]")]);
  const newId = /\/records\/(\d+)/.exec(page.url())[1];
  assert.notEqual(newId, String(ids.komagane));
  const rec = (await api("GET", `record.json?app=${appId}&id=${newId}`)).record;
  assert.equal(rec.件名.value, "駒ヶ根市 第二庁舎");
  assert.equal(rec.所在地.value, "駒ヶ根市");
  assert.equal(rec.区分.value, "定期");
  assert.equal(rec.数量.value, "3");
  assert.equal(rec.備考.value, "本庁舎");
  await api("DELETE", "records.json", { app: appId, ids: [newId] });
  assert.deepEqual(page.problems, []);
});

test("edit a row in the list; a conflicting save says so in Japanese", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${appId}?view=${encodeURIComponent("すべて")}`);
  const id = ids[20];
  await page.waitForSelector(`[data-testid=inline-edit-${id}]`);
  await page.click(`[data-testid=inline-edit-${id}]`);
  await page.waitForSelector(`[data-testid=inline-数量-${id}]`);
  await page.fill(`[data-testid=inline-数量-${id}]`, "99");
  await page.selectOption(`[data-testid=inline-区分-${id}]`, "臨時");
  await shot(page, "inline-edit");
  await page.click(`[data-testid=inline-save-${id}]`);
  await page.waitForFunction((id) => (document.querySelector(`[data-testid=record-row-${id}] [data-field=数量]`)?.textContent || "") === "99", id);
  let rec = (await api("GET", `record.json?app=${appId}&id=${id}`)).record;
  assert.equal(rec.数量.value, "99");
  assert.equal(rec.区分.value, "臨時");
  // A field error stays beside its input.
  await page.click(`[data-testid=inline-edit-${id}]`);
  await page.fill(`[data-testid=inline-数量-${id}]`, "abc");
  await page.click(`[data-testid=inline-save-${id}]`);
  await page.waitForSelector(`[data-testid=inline-error-数量-${id}]:not([hidden])`);
  await page.click(`[data-testid=inline-cancel-${id}]`);
  // Someone else saves while the row is open: the save is refused with the conflict message.
  await page.click(`[data-testid=inline-edit-${id}]`);
  await page.fill(`[data-testid=inline-数量-${id}]`, "7");
  await api("PUT", "record.json", { app: appId, id, record: { 備考: { value: "別の担当者が更新" } } });
  await page.click(`[data-testid=inline-save-${id}]`);
  const conflict = page.locator(`[data-testid=inline-conflict-${id}]`);
  await conflict.waitFor();
  assert.match(await conflict.textContent(), /別のユーザーが更新しました/);
  rec = (await api("GET", `record.json?app=${appId}&id=${id}`)).record;
  assert.equal(rec.数量.value, "99", "nothing was overwritten");
  await page.click(`[data-testid=inline-reload-${id}]`);
  await page.waitForFunction((id) => (document.querySelector(`[data-testid=record-row-${id}] [data-field=備考]`)?.textContent || "") === "別の担当者が更新", id);
  assert.deepEqual(page.problems, []);
});

test("bulk update then bulk delete the filtered records, with confirmations", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${appId}?view=${encodeURIComponent("すべて")}&search=${encodeURIComponent("修繕")}`);
  await rowsAre(page, 10);
  await page.click("[data-testid=bulk-open]");
  await page.waitForSelector("[data-testid=bulk-dialog][open]");
  assert.match(await page.textContent("[data-testid=bulk-query]"), /修繕/);
  await page.selectOption("[data-testid=bulk-field]", "所在地");
  await page.fill("[data-testid=bulk-value]", "塩尻市");
  await page.click("[data-testid=bulk-update-check]");
  const confirmText = page.locator("[data-testid=bulk-confirm-text]");
  await confirmText.waitFor();
  assert.match(await confirmText.textContent(), /10 件のレコードの「所在地」を「塩尻市」に更新します/);
  await shot(page, "bulk-confirm");
  // Cancel first: nothing changes.
  await page.click("[data-testid=bulk-cancel]");
  assert.equal((await allRecords("所在地 = \"塩尻市\"")).length, 0);
  await page.click("[data-testid=bulk-update-check]");
  await confirmText.waitFor();
  await page.click("[data-testid=bulk-run]");
  await page.waitForSelector("[data-testid=bulk-done]");
  assert.match(await page.textContent("[data-testid=bulk-done]"), /10 件のレコードを更新しました/);
  const updated = await allRecords("所在地 = \"塩尻市\"");
  assert.equal(updated.length, 10);
  assert.ok(updated.every((r) => r.件名.value.startsWith("修繕")));
  await page.waitForFunction(() => Array.from(document.querySelectorAll("[data-field=所在地]")).every((td) => td.textContent === "塩尻市"));

  await page.click("[data-testid=bulk-open]");
  await page.click("[data-testid=bulk-delete-check]");
  await confirmText.waitFor();
  assert.match(await confirmText.textContent(), /10 件のレコードを削除します/);
  await page.click("[data-testid=bulk-run]");
  await page.waitForFunction(() => /10 件のレコードを削除しました/.test(document.querySelector("[data-testid=bulk-done]")?.textContent || ""));
  await page.waitForSelector("[data-testid=records-empty]");
  assert.equal((await allRecords("件名 like \"修繕\"")).length, 0);
  assert.equal((await allRecords("")).length, 15, "the other records stay");
  assert.deepEqual(page.problems, []);
});

test("on a phone the list is cards without horizontal scroll, actions in a menu", async () => {
  const page = await signedInPage(browser, server.baseUrl, { width: 390, height: 844 });
  await page.goto(`${server.baseUrl}/apps/${appId}?view=${encodeURIComponent("すべて")}`);
  await page.waitForSelector("[data-testid=records-table]");
  const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
  assert.ok(width <= 390, `no horizontal scroll (scrollWidth ${width})`);
  assert.equal(await page.locator("[data-testid=new-record]").isVisible(), false, "actions are folded");
  await page.click("[data-testid=phone-menu-toggle]");
  assert.equal(await page.locator("[data-testid=menu-new-record]").isVisible(), true);
  await shot(page, "phone-menu", false);
  await page.click("[data-testid=phone-menu-toggle]");
  // Each card leads with the record title, then two fields with their labels.
  const title = page.locator(`[data-testid=card-title-${ids.komagane}]`);
  assert.equal(await title.isVisible(), true);
  assert.match(await title.textContent(), /駒ヶ根市 ＤＸ推進/);
  const box = await title.boundingBox();
  assert.ok(box.height < 60, `the title does not wrap every few characters (height ${box.height})`);
  const row = page.locator(`[data-testid=record-row-${ids.komagane}]`);
  assert.equal(await row.locator("td.card-field:visible").count(), 2);
  assert.equal(await row.locator("td.card-more:visible").count(), 0);
  await shot(page, "phone-cards", false);
  // The record page fits too.
  await page.click(`[data-testid=record-link-${ids.komagane}]`);
  await page.waitForSelector("[data-testid=nav-position]");
  assert.ok(await page.evaluate(() => document.scrollingElement.scrollWidth) <= 390);
  await shot(page, "phone-detail", false);
  assert.deepEqual(page.problems, []);
});

test("desktop list screenshot", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${appId}?view=${encodeURIComponent("すべて")}`);
  await page.waitForSelector("[data-testid=records-table]");
  assert.equal(await rowCount(page), 15);
  const title = page.locator(`[data-testid=card-title-${ids.komagane}]`);
  const box = await title.boundingBox();
  assert.ok(box.width > 120, `the title column is wide enough (width ${box.width})`);
  await shot(page, "desktop-list");
  assert.deepEqual(page.problems, []);
});

test("field rights: a hidden field is left out of the search, a read-only one stays read-only in the list", async () => {
  await call("POST", "/api/org/users.json", { code: "clerk", name: "窓口 花子", password: "clerk-password-1", mustChangePassword: false });
  const everyone = { type: "GROUP", code: "everyone" };
  const admin = { type: "USER", code: "Administrator" };
  await api("PUT", "preview/field/acl.json", { app: appId, rights: [
    { code: "備考", entities: [{ accessibility: "WRITE", entity: admin }, { accessibility: "NONE", entity: everyone }] },
    { code: "所在地", entities: [{ accessibility: "WRITE", entity: admin }, { accessibility: "READ", entity: everyone }] },
  ] });
  await api("POST", "preview/app/deploy.json", { apps: [{ app: appId }] });
  for (let i = 0; i < 60; i++) {
    if ((await api("GET", "preview/app/deploy.json?apps[0]=" + appId)).apps[0].status === "SUCCESS") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ja-JP" });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("requestfailed", (r) => { if (!/ERR_ABORTED/.test(r.failure()?.errorText || "")) problems.push("request failed: " + r.url()); });
  await page.goto(server.baseUrl + "/login");
  await page.fill("input[name=login]", "clerk");
  await page.fill("input[name=password]", "clerk-password-1");
  await Promise.all([page.waitForURL(server.baseUrl + "/"), page.click("form[action='/login'] button[type=submit]")]);
  await page.goto(`${server.baseUrl}/apps/${appId}?view=${encodeURIComponent("すべて")}&search=${encodeURIComponent("駒ヶ根")}`);
  await rowsAre(page, 1);
  assert.equal(await page.locator("[data-testid=list-error]").count(), 0);
  await page.click(`[data-testid=inline-edit-${ids.komagane}]`);
  await page.waitForSelector(`[data-testid=inline-数量-${ids.komagane}]`);
  assert.equal(await page.locator(`[data-testid=inline-所在地-${ids.komagane}]`).count(), 0, "read-only for the clerk");
  assert.equal(await page.locator(`[data-testid=inline-件名-${ids.komagane}]`).count(), 1);
  await page.fill(`[data-testid=inline-数量-${ids.komagane}]`, "4");
  await page.click(`[data-testid=inline-save-${ids.komagane}]`);
  await page.waitForFunction((id) => (document.querySelector(`[data-testid=record-row-${id}] [data-field=数量]`)?.textContent || "") === "4", ids.komagane);
  assert.deepEqual(problems, []);
  await context.close();
});
