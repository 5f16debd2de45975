// Issue 10's bugs, each kept fixed by a test: the choice editor (typing goes where the user clicked, a
// new choice starts empty), field codes that follow the label, the user/department picker (partial
// names, an unresolved name blocks saving), no false "unsaved" states, the scripts page (Japanese syntax
// errors, test runs with typed values), no 400 from the process panel of an app without process
// management, English system field labels, and the sign-in page in the user's language.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser;
const SHOTS = process.env.KUMIKI_SHOTS || "/tmp";
const auth = () => ({ "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" });
async function call(method, path, body) {
  const url = server.baseUrl + (path.startsWith("/") ? path : "/k/v1/" + path);
  const resp = await fetch(url, { method, headers: auth(), body: body && JSON.stringify(body) });
  const json = await resp.json();
  if (!resp.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}
async function deploy(app) {
  await call("POST", "preview/app/deploy.json", { apps: [{ app }] });
  for (let i = 0; i < 100; i++) {
    const r = await call("GET", `preview/app/deploy.json?apps[0]=${app}`);
    if (r.apps[0].status !== "PROCESSING") return r.apps[0].status;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error("deploy did not finish");
}
/** A signed-in page of any user (signedInPage signs in the Administrator). */
async function pageOf(login, password, { width = 1280, height = 900, locale = "ja-JP" } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("requestfailed", (r) => { if (!/ERR_ABORTED/.test(r.failure()?.errorText || "")) problems.push("request failed: " + r.url()); });
  page.problems = problems;
  await page.goto(server.baseUrl + "/login");
  await page.fill("input[name=login]", login);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForURL(server.baseUrl + "/"), page.click("form[action='/login'] button[type=submit]")]);
  return page;
}
async function newApp(page, name) {
  await page.goto(server.baseUrl + "/");
  await page.fill("[data-testid=new-app-name]", name);
  await Promise.all([page.waitForURL(/\/apps\/\d+\/settings/), page.click("[data-testid=create-blank]")]);
  await page.waitForSelector("[data-testid=canvas]");
  return page.url().match(/apps\/(\d+)/)[1];
}
/** Drops a palette type at the end of the form and selects the new field; resolves to its uid. */
async function dropField(page, type) {
  const gaps = await page.$$("[data-testid^=canvas-gap-]");
  const target = gaps.length ? `[data-testid=canvas-gap-${gaps.length - 1}]` : "[data-testid=canvas]";
  const before = await page.$$eval("[data-testid=canvas] [data-uid]", (els) => els.map((e) => e.getAttribute("data-uid")));
  await page.dragAndDrop(`[data-testid=palette-${type}]`, target);
  const uid = await page.waitForFunction((seen) => {
    const all = Array.from(document.querySelectorAll("[data-testid=canvas] [data-uid]")).map((e) => e.getAttribute("data-uid"));
    return all.filter((u) => seen.indexOf(u) < 0)[0] || null;
  }, before).then((h) => h.jsonValue());
  await page.click(`[data-testid=canvas] [data-uid="${uid}"]`);
  await page.waitForSelector("[data-testid=panel-label]");
  return uid;
}
/** Clears a box by keyboard and types, the way a person does (fill() would hide caret bugs). */
async function retype(page, selector, text) {
  await page.click(selector);
  await page.keyboard.press("Control+A");
  await page.keyboard.type(text);
}

before(async () => { server = await startServer({ examples: false }); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test("choice editor: typing goes where the user clicked, and a new choice starts empty", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await newApp(page, "備品貸出管理");
  await dropField(page, "DROP_DOWN");
  // Type into the first box, then click the second: the caret must be in the second one.
  await retype(page, "[data-testid=panel-option-label-0]", "貸出中");
  await page.click("[data-testid=panel-option-label-1]");
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("data-testid")), "panel-option-label-1");
  await page.keyboard.press("End");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("返却済");
  assert.equal(await page.inputValue("[data-testid=panel-option-label-0]"), "貸出中");
  assert.equal(await page.inputValue("[data-testid=panel-option-label-1]"), "返却済");
  // A new choice: an empty box (its suggested name only as a placeholder) with the caret in it.
  await page.click("[data-testid=panel-option-add]");
  assert.equal(await page.inputValue("[data-testid=panel-option-label-2]"), "");
  assert.equal(await page.getAttribute("[data-testid=panel-option-label-2]", "placeholder"), "選択肢3");
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("data-testid")), "panel-option-label-2");
  await page.keyboard.type("修理中");
  // Back into the first box at its end: the text is appended, not prepended.
  await page.click("[data-testid=panel-option-label-0]");
  await page.keyboard.press("End");
  await page.keyboard.type("（貸出）");
  assert.equal(await page.inputValue("[data-testid=panel-option-label-0]"), "貸出中（貸出）");
  assert.equal(await page.inputValue("[data-testid=panel-option-label-2]"), "修理中");
  // The default value list follows the options as they are typed.
  const defaults = await page.$$eval("[data-testid=panel-default] option", (os) => os.map((o) => o.value).filter(Boolean));
  assert.deepEqual(defaults, ["貸出中（貸出）", "返却済", "修理中"]);
  await page.screenshot({ path: `${SHOTS}/builder-fixes-options.png` });
  await page.click("[data-testid=save]");
  await page.waitForSelector("[data-testid=status][data-state=unpublished]", { timeout: 20000 });
  const app = page.url().match(/apps\/(\d+)/)[1];
  const { properties } = await call("GET", `preview/app/form/fields.json?app=${app}`);
  const dropdown = Object.values(properties).find((p) => p.type === "DROP_DOWN");
  const labels = Object.values(dropdown.options).sort((a, b) => a.index - b.index).map((o) => o.label);
  assert.deepEqual(labels, ["貸出中（貸出）", "返却済", "修理中"]);
  assert.deepEqual(page.problems, []);
});

test("field codes follow the label until typed by hand or published; the help tells the real rules", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  const app = await newApp(page, "コードの確認");
  // A new app is not "saved with unpublished changes": it is not published yet.
  const status = await page.textContent("[data-testid=status]");
  assert.match(status, /まだ公開されていません/);
  assert.doesNotMatch(status, /未保存|未公開の変更/);

  const first = await dropField(page, "DATE");
  assert.equal(await page.inputValue("[data-testid=panel-code]"), "日付");
  await retype(page, "[data-testid=panel-label]", "貸出日");
  assert.equal(await page.inputValue("[data-testid=panel-code]"), "貸出日");
  const help = await page.textContent("#d-panel .help");
  assert.doesNotMatch(help || "", /英数字と/);
  const codeHelp = await page.$eval("[data-testid=panel-code]", (i) => document.getElementById(i.getAttribute("aria-describedby").split(" ")[0]).textContent);
  assert.match(codeHelp, /漢字/);
  assert.doesNotMatch(codeHelp, /英数字と _（アンダースコア）で/);

  // The same label again gets _2; symbols and spaces become _.
  await dropField(page, "DATE");
  await retype(page, "[data-testid=panel-label]", "貸出日");
  assert.equal(await page.inputValue("[data-testid=panel-code]"), "貸出日_2");
  await retype(page, "[data-testid=panel-label]", "返却予定日 (予定)");
  assert.equal(await page.inputValue("[data-testid=panel-code]"), "返却予定日__予定_");

  // A code typed by hand stays.
  const third = await dropField(page, "SINGLE_LINE_TEXT");
  await retype(page, "[data-testid=panel-code]", "kanri_no");
  await page.keyboard.press("Tab");
  await retype(page, "[data-testid=panel-label]", "管理番号");
  assert.equal(await page.inputValue("[data-testid=panel-code]"), "kanri_no");

  await page.click("[data-testid=save]");
  await page.waitForSelector("[data-testid=status][data-state=unpublished]", { timeout: 20000 });
  assert.match(await page.textContent("[data-testid=status]"), /まだ公開されていません/);
  let props = (await call("GET", `preview/app/form/fields.json?app=${app}`)).properties;
  assert.ok(props["貸出日"] && props["返却予定日__予定_"] && props["kanri_no"], Object.keys(props).join(","));

  // Saved but never published: the code still follows the label.
  await page.click(`[data-testid=canvas] [data-testid="field-貸出日"]`);
  await retype(page, "[data-testid=panel-label]", "貸出開始日");
  assert.equal(await page.inputValue("[data-testid=panel-code]"), "貸出開始日");
  await page.click("[data-testid=publish]");
  await page.waitForSelector("[data-testid=status][data-state=published]", { timeout: 30000 });
  props = (await call("GET", `app/form/fields.json?app=${app}`)).properties;
  assert.ok(props["貸出開始日"], Object.keys(props).join(","));
  // Published: a new label no longer renames the code the records and the API know.
  await page.click(`[data-testid=canvas] [data-testid="field-貸出開始日"]`);
  await retype(page, "[data-testid=panel-label]", "貸出日");
  assert.equal(await page.inputValue("[data-testid=panel-code]"), "貸出開始日");
  assert.ok(first && third);
  assert.deepEqual(page.problems, []);
});

test("user and department pickers: partial names match, and a name never chosen blocks saving", async () => {
  for (const [code, name] of [["tanaka", "田中 花子"], ["tanaka2", "田中 一郎"], ["sato", "佐藤 一郎"]]) {
    await call("POST", "/api/org/users.json", { code, name, password: "pass-" + code + "-12345", mustChangePassword: false });
  }
  await call("POST", "/api/org/departments.json", { code: "soumu", name: "総務課" });
  const { app } = await call("POST", "preview/app.json", { name: "貸出記録" });
  await call("POST", "preview/app/form/fields.json", { app, properties: {
    備品名: { type: "SINGLE_LINE_TEXT", code: "備品名", label: "備品名" },
    借りた人: { type: "USER_SELECT", code: "借りた人", label: "借りた人" },
    部署: { type: "ORGANIZATION_SELECT", code: "部署", label: "部署" },
  } });
  await deploy(app);
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}/records/new`);
  await page.waitForSelector("[data-testid=record-form]");
  await page.fill("[data-testid=field-備品名]", "プロジェクター");

  // 「佐藤」 is part of one name: Enter chooses it.
  await page.click("[data-testid=field-借りた人]");
  await page.keyboard.type("佐藤");
  await page.waitForSelector("[data-testid=field-借りた人-choice-0]");
  assert.match(await page.textContent("[data-testid=field-借りた人-choice-0]"), /佐藤 一郎/);
  await page.keyboard.press("Enter");
  assert.match(await page.textContent("[data-testid=field-借りた人-chosen]"), /佐藤 一郎/);
  // 「田中」 is part of two names: both are offered, and one is chosen with the pointer.
  await page.keyboard.type("田中");
  await page.waitForSelector("[data-testid=field-借りた人-choice-1]");
  await page.keyboard.press("Enter");
  assert.match(await page.textContent("[data-testid=field-借りた人-msg]"), /候補が2件/);
  assert.doesNotMatch(await page.textContent("[data-testid=field-借りた人-msg]"), /見つかりません/);
  await page.click("[data-testid=field-借りた人-choice-0]:has-text('田中 花子')");
  assert.match(await page.textContent("[data-testid=field-借りた人-chosen]"), /田中 花子/);
  // Full-width login letters match too.
  await page.keyboard.type("ｔａｎａｋａ２");
  await page.keyboard.press("Enter");
  assert.match(await page.textContent("[data-testid=field-借りた人-chosen]"), /田中 一郎/);
  await page.click("[data-testid=field-部署]");
  await page.keyboard.type("総務");
  await page.waitForSelector("[data-testid=field-部署-choice-0]");
  await page.keyboard.press("Enter");
  assert.match(await page.textContent("[data-testid=field-部署-chosen]"), /総務課/);

  // A name that is no one: saving is refused with a message at the field, and nothing is written.
  await page.click("[data-testid=field-借りた人]");
  await page.keyboard.type("山田");
  await page.click("[data-testid=save-record]");
  await page.waitForSelector("[data-testid=field-借りた人-msg].field-error");
  assert.match(await page.textContent("[data-testid=field-借りた人-msg]"), /「山田」はまだ選ばれていません/);
  assert.match(await page.textContent("[data-testid=form-error]"), /保存していません/);
  assert.equal(await page.getAttribute("[data-testid=field-借りた人]", "aria-invalid"), "true");
  await page.screenshot({ path: `${SHOTS}/builder-fixes-picker.png` });
  assert.equal((await call("GET", `records.json?app=${app}`)).records.length, 0);
  // Clearing the text lets the record be saved with the chosen people.
  await page.fill("[data-testid=field-借りた人]", "");
  await page.click("[data-testid=save-record]");
  await page.waitForSelector("[data-testid=saved-message]");
  const [record] = (await call("GET", `records.json?app=${app}`)).records;
  assert.deepEqual(record.借りた人.value.map((u) => u.code).sort(), ["sato", "tanaka", "tanaka2"]);
  assert.deepEqual(record.部署.value.map((u) => u.code), ["soumu"]);
  assert.deepEqual(page.problems, []);

  // The picker's API matches partial names on the server too.
  const found = await call("GET", "/api/users.json?q=" + encodeURIComponent("田中"));
  assert.deepEqual(found.users.map((u) => u.code).sort(), ["tanaka", "tanaka2"]);
});

test("a name typed and entered before the user list has arrived is matched once it arrives", async () => {
  await call("POST", "/api/org/users.json", { code: "yamamoto", name: "山本 次郎", password: "pass-yamamoto-12345", mustChangePassword: false });
  const { app } = await call("POST", "preview/app.json", { name: "遅い名簿" });
  await call("POST", "preview/app/form/fields.json", { app, properties: {
    担当者: { type: "USER_SELECT", code: "担当者", label: "担当者" },
  } });
  await deploy(app);
  const page = await signedInPage(browser, server.baseUrl);
  // A slow network: the list of users arrives only after the name was typed and entered.
  let release;
  const held = new Promise((ok) => { release = ok; });
  await page.route("**/api/users.json*", async (route) => { await held; await route.continue(); });
  await page.goto(`${server.baseUrl}/apps/${app}/records/new`);
  await page.waitForSelector("[data-testid=record-form]");
  await page.click("[data-testid=field-担当者]");
  await page.keyboard.type("山本");
  await page.keyboard.press("Enter");
  // Nothing is guessed while the list is missing: the typed name is not taken as a user code.
  assert.equal(await page.textContent("[data-testid=field-担当者-chosen]"), "");
  release();
  await page.waitForSelector("[data-testid=field-担当者-chosen] .chip");
  assert.match(await page.textContent("[data-testid=field-担当者-chosen]"), /山本 次郎/);
  assert.equal(await page.inputValue("[data-testid=field-担当者]"), "");
  await page.click("[data-testid=save-record]");
  await page.waitForSelector("[data-testid=saved-message]");
  const [record] = (await call("GET", `records.json?app=${app}`)).records;
  assert.deepEqual(record.担当者.value.map((u) => u.code), ["yamamoto"]);
  assert.deepEqual(page.problems, []);
});

test("a phone-width picker offers its choices without horizontal scrolling", async () => {
  const { app } = await call("POST", "preview/app.json", { name: "スマホ貸出" });
  await call("POST", "preview/app/form/fields.json", { app, properties: {
    借りた人: { type: "USER_SELECT", code: "借りた人", label: "借りた人" },
  } });
  await deploy(app);
  const page = await signedInPage(browser, server.baseUrl, { width: 390, height: 844 });
  await page.goto(`${server.baseUrl}/apps/${app}/records/new`);
  await page.waitForSelector("[data-testid=record-form]");
  await page.click("[data-testid=field-借りた人]");
  await page.keyboard.type("Admin");
  await page.waitForSelector("[data-testid=field-借りた人-choice-0]");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
  await page.screenshot({ path: `${SHOTS}/builder-fixes-picker-phone.png` });
  assert.deepEqual(page.problems, []);
});

test("scripts page: no false unsaved state, Japanese syntax errors, test runs with typed values", async () => {
  const { app } = await call("POST", "preview/app.json", { name: "スクリプト確認" });
  await call("POST", "preview/app/form/fields.json", { app, properties: {
    件名: { type: "SINGLE_LINE_TEXT", code: "件名", label: "件名" },
    結果: { type: "SINGLE_LINE_TEXT", code: "結果", label: "結果" },
  } });
  await call("PUT", "/api/app/scripts.json", { app, scripts: [
    { name: "件名の確認", events: ["create.submit", "edit.submit"], source: "record[\"結果\"] = \"受付: \" + record[\"件名\"];\n" },
  ] });
  const page = await signedInPage(browser, server.baseUrl);
  let asked = 0;
  page.on("dialog", (d) => { asked += 1; d.accept(); });
  await page.goto(`${server.baseUrl}/apps/${app}/scripts`);
  await page.waitForSelector("[data-testid=script-source]");
  // Opening the page changes nothing: no "unsaved" message, and leaving asks nothing.
  await page.waitForSelector("[data-testid=scripts-status][data-state]");
  assert.notEqual(await page.getAttribute("[data-testid=scripts-status]", "data-state"), "dirty");
  assert.doesNotMatch(await page.textContent("[data-testid=scripts-status]"), /保存していない/);
  assert.match(await page.textContent("[data-testid=scripts-status]"), /まだ公開されていません/);
  // Typing and undoing the typing is not a change either.
  await page.click("[data-testid=script-source]");
  await page.keyboard.press("Control+End");
  await page.keyboard.type("x");
  assert.equal(await page.getAttribute("[data-testid=scripts-status]", "data-state"), "dirty");
  await page.keyboard.press("Backspace");
  assert.notEqual(await page.getAttribute("[data-testid=scripts-status]", "data-state"), "dirty");

  // A test run with a typed value: the script sees it.
  await page.click("[data-testid=script-test-values] summary");
  await page.fill("[data-testid=script-test-value-件名]", "プロジェクターの貸出");
  await page.click("[data-testid=script-test-run]");
  await page.waitForSelector("[data-testid=script-test-change-結果]");
  assert.match(await page.textContent("[data-testid=script-test-change-結果]"), /受付: プロジェクターの貸出/);

  // A syntax error says what is wrong in Japanese, with the line and column.
  await page.click("[data-testid=script-source]");
  await page.keyboard.press("Control+End");
  await page.keyboard.type("let b = ;");
  await page.click("[data-testid=scripts-save]");
  await page.waitForSelector("[data-testid=script-failure]:not([hidden])");
  const failure = await page.textContent("[data-testid=script-failure]");
  assert.match(failure, /2 行/);
  assert.match(failure, /ここに「;」は書けません/);
  assert.doesNotMatch(failure, /Unexpected/);
  await page.screenshot({ path: `${SHOTS}/builder-fixes-scripts.png`, fullPage: true });
  const ctx = page.context();
  await page.close({ runBeforeUnload: true });
  await new Promise((ok) => setTimeout(ok, 300));
  assert.equal(asked, 1, "an unsaved edit asks before leaving");

  // A fresh page with nothing edited closes without asking.
  const again = await ctx.newPage();
  let asked2 = 0;
  again.on("dialog", (d) => { asked2 += 1; d.accept(); });
  await again.goto(`${server.baseUrl}/apps/${app}/scripts`);
  await again.waitForSelector("[data-testid=script-source]");
  await again.close({ runBeforeUnload: true });
  await new Promise((ok) => setTimeout(ok, 300));
  assert.equal(asked2, 0, "nothing edited: leaving asks nothing");
});

test("a record page of an app without process management makes no failing request", async () => {
  const { app } = await call("POST", "preview/app.json", { name: "プロセスなし" });
  await call("POST", "preview/app/form/fields.json", { app, properties: { 件名: { type: "SINGLE_LINE_TEXT", code: "件名", label: "件名" } } });
  await deploy(app);
  const { id } = await call("POST", "record.json", { app, record: { 件名: { value: "一件目" } } });
  const page = await signedInPage(browser, server.baseUrl);
  const bad = [];
  page.on("response", (r) => { if (r.status() >= 400) bad.push(`${r.status()} ${r.url()}`); });
  await page.goto(`${server.baseUrl}/apps/${app}/records/${id}`);
  await page.waitForSelector("[data-testid=record-detail], [data-testid=record-view], #process-panel", { state: "attached" });
  await page.waitForLoadState("networkidle");
  assert.deepEqual(bad, []);
  assert.equal(await page.$eval("#process-panel", (p) => p.hidden), true);
  assert.deepEqual(page.problems, []);
});

test("English pages name the system fields in English; the sign-in page follows the user's language", async () => {
  await call("POST", "/api/org/users.json", { code: "emma", name: "Emma", password: "pass-emma-12345", mustChangePassword: false });
  const { app } = await call("POST", "preview/app.json", { name: "英語の確認" });
  await call("POST", "preview/app/form/fields.json", { app, properties: { 件名: { type: "SINGLE_LINE_TEXT", code: "件名", label: "件名" } } });
  await call("PUT", "preview/app/views.json", { app, views: { 一覧: { type: "LIST", name: "一覧", index: "0",
    fields: ["Record_number", "件名", "Created_by", "Updated_datetime"] } } });
  await deploy(app);
  const { id } = await call("POST", "record.json", { app, record: { 件名: { value: "一件目" } } });

  const page = await pageOf("emma", "pass-emma-12345");
  await page.click("[data-testid=switch-language]");
  await page.waitForSelector("html[lang=en]");
  // The list's column headers.
  await page.goto(`${server.baseUrl}/apps/${app}`);
  await page.waitForSelector("table th:has-text('件名')");
  const heads = await page.$$eval("table th", (ths) => ths.map((th) => th.textContent));
  assert.ok(heads.some((t) => /Record number/.test(t)) && heads.some((t) => /Created by/.test(t)), heads.join(", "));
  assert.ok(!heads.some((t) => /レコード番号|作成者|更新日時/.test(t)), heads.join(", "));
  await page.goto(`${server.baseUrl}/apps/${app}/records/${id}`);
  await page.waitForSelector("dt");
  const terms = await page.$$eval("dt", (ds) => ds.map((d) => d.textContent));
  assert.ok(terms.some((t) => /Created by/.test(t)), terms.join(", "));
  assert.ok(!terms.some((t) => /作成者|作成日時|更新者|更新日時|レコード番号/.test(t)), terms.join(", "));

  // Signed out, the sign-in page keeps the user's language although the browser asks for Japanese.
  await page.click("form[action='/logout'] button[type=submit]");
  await page.waitForURL(/\/login/);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  // Signing in as someone whose setting is Japanese switches it back.
  await page.fill("input[name=login]", "Administrator");
  await page.fill("input[name=password]", ADMIN_PASSWORD);
  await Promise.all([page.waitForURL(server.baseUrl + "/"), page.click("form[action='/login'] button[type=submit]")]);
  assert.equal(await page.getAttribute("html", "lang"), "ja");
  await page.click("form[action='/logout'] button[type=submit]");
  await page.waitForURL(/\/login/);
  assert.equal(await page.getAttribute("html", "lang"), "ja");
  // Without the cookie the browser's language decides.
  const fresh = await browser.newContext({ locale: "en-US" });
  const login = await fresh.newPage();
  await login.goto(server.baseUrl + "/login");
  assert.equal(await login.getAttribute("html", "lang"), "en");
  await fresh.close();
  assert.deepEqual(page.problems, []);
});
