// View settings in the browser (issue 10, item 2): a department user sets up 「貸出中一覧」 for 備品貸出管理 —
// columns chosen and ordered by drag and drop and buttons, the status among them, a filter and a sort —,
// renames, reorders and deletes views, saves, publishes, and the list shows exactly those columns with
// the status values. Private views: a user saves one from the list, and only they see it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser, app;
const PW = "views-settings-pw-1";

async function api(method, path, body) {
  const headers = { "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" };
  const url = server.baseUrl + (path.startsWith("/") ? path : "/k/v1/" + path);
  const r = await fetch(url, { method, headers, body: body && JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${JSON.stringify(j)}`);
  return j;
}

async function deployed() {
  await api("POST", "preview/app/deploy.json", { apps: [{ app }] });
  for (let i = 0; i < 50; i++) {
    const r = await api("GET", `preview/app/deploy.json?apps[0]=${app}`);
    if (r.apps[0].status !== "PROCESSING") return;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error("deploy did not finish");
}

/** A signed-in page of any user (signedInPage signs in the Administrator). */
async function pageOf(login, { width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale: "ja-JP" });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("requestfailed", (r) => { if (!/ERR_ABORTED/.test(r.failure()?.errorText || "")) problems.push("request failed: " + r.url()); });
  page.problems = problems;
  await page.goto(server.baseUrl + "/login");
  await page.fill("input[name=login]", login);
  await page.fill("input[name=password]", PW);
  await Promise.all([page.waitForURL(server.baseUrl + "/"), page.click("form[action='/login'] button[type=submit]")]);
  return page;
}

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
  ({ app } = await api("POST", "preview/app.json", { name: "備品貸出管理" }));
  await api("POST", "preview/app/form/fields.json", { app, properties: {
    管理番号: { type: "SINGLE_LINE_TEXT", code: "管理番号", label: "管理番号" },
    備品名: { type: "SINGLE_LINE_TEXT", code: "備品名", label: "備品名" },
    貸出日: { type: "DATE", code: "貸出日", label: "貸出日" },
    備考: { type: "MULTI_LINE_TEXT", code: "備考", label: "備考" },
  } });
  await api("PUT", "preview/app/status.json", { app, enable: true,
    states: { 貸出中: { name: "貸出中", index: "0" }, 返却済: { name: "返却済", index: "1" } },
    actions: [{ name: "返却する", from: "貸出中", to: "返却済" }] });
  await api("PUT", "preview/app/views.json", { app, views: {
    一覧: { type: "LIST", index: "0", fields: ["管理番号", "備品名", "貸出日"] },
    古い一覧: { type: "LIST", index: "1", fields: ["備品名"] },
  } });
  await deployed();
  for (const [no, name, day] of [["R7-001", "プロジェクター", "2026-12-01"], ["R7-002", "ノートPC", "2026-12-02"], ["R7-003", "三脚", "2026-12-03"]]) {
    await api("POST", "record.json", { app, record: { 管理番号: { value: no }, 備品名: { value: name }, 貸出日: { value: day } } });
  }
  await api("PUT", "record/status.json", { app, id: 3, action: "返却する", assignee: "Administrator" });
  await api("POST", "/api/org/users.json", { code: "sato", name: "佐藤 一郎", password: PW, mustChangePassword: false });
  await api("POST", "/api/org/users.json", { code: "suzuki", name: "鈴木 花子", password: PW, mustChangePassword: false });
});
after(async () => { await browser?.close(); await server?.stop(); });

/** The labels of the chosen columns, in order. */
async function chosen(page) {
  return page.$$eval("[data-testid=vs-chosen] .vs-col-label > span:first-child", (els) => els.map((e) => e.textContent));
}

test("a department user sets up 貸出中一覧 with chosen columns, the status, a filter and a sort", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}/views`);
  await page.waitForSelector("[data-testid=vs-view-0]");
  assert.equal(await page.getAttribute("[data-testid=tab-views]", "aria-current"), "page");
  assert.match(await page.textContent("[data-testid=vs-status]"), /運用中の設定と同じです/);

  // Add a view and name it.
  await page.click("[data-testid=vs-add]");
  await page.fill("[data-testid=vs-name]", "貸出中");
  assert.match(await page.textContent("[data-testid=vs-status]"), /保存していない変更があります/);
  // Columns: start from nothing, add 備品名 and ステータス with buttons, 管理番号 and 作業者 by dragging.
  for (const code of await page.$$eval("[data-testid=vs-chosen] [data-code]", (els) => els.map((e) => e.dataset.code))) {
    await page.click(`[data-testid="vs-col-${code}-remove"]`);
  }
  await page.click("[data-testid=vs-avail-備品名-add]");
  await page.click("[data-testid=vs-avail-Status-add]");
  // A system field dropped on the first column goes before it.
  await page.dragAndDrop("[data-testid=vs-avail-Record_number]", "[data-testid=vs-col-備品名]");
  // Dropped on the lower half of the last column, it goes after it.
  const last = await page.locator("[data-testid=vs-col-Status]").boundingBox();
  await page.dragAndDrop("[data-testid=vs-avail-Assignee]", "[data-testid=vs-col-Status]", { targetPosition: { x: 10, y: last.height - 3 } });
  assert.deepEqual(await chosen(page), ["レコード番号", "備品名", "ステータス", "作業者"]);
  // Reorder by dragging (ステータス before 備品名) and with the keyboard buttons (レコード番号 to the end).
  await page.dragAndDrop("[data-testid=vs-col-Status]", "[data-testid=vs-col-備品名]");
  await page.click("[data-testid=vs-col-Record_number-down]");
  await page.click("[data-testid=vs-col-Record_number-down]");
  await page.click("[data-testid=vs-col-Record_number-down]");
  assert.deepEqual(await chosen(page), ["ステータス", "備品名", "作業者", "レコード番号"]);
  // Filter with the condition builder: status = 貸出中.
  await page.click("[data-testid=vs-condition-add]");
  await page.selectOption("[data-testid=condition-field-0]", "Status");
  await page.selectOption("[data-testid=condition-op-0]", "=");
  await page.fill("[data-testid=condition-value-0]", "貸出中");
  assert.equal(await page.inputValue("[data-testid=vs-filter-text]"), 'Status = "貸出中"');
  // Sort: 貸出日, newest first.
  await page.click("[data-testid=vs-sort-add]");
  await page.selectOption("[data-testid=vs-sort-0-field]", "貸出日");
  await page.selectOption("[data-testid=vs-sort-0-dir]", "desc");
  // Rename, and move it to the top with the buttons.
  await page.fill("[data-testid=vs-name]", "貸出中一覧");
  await page.click("[data-testid=vs-view-2-up]");
  await page.click("[data-testid=vs-view-1-up]");
  assert.match(await page.textContent("[data-testid=vs-view-0]"), /貸出中一覧/);
  // Delete 古い一覧 after confirming.
  await page.click("[data-testid=vs-view-2]");
  assert.equal(await page.inputValue("[data-testid=vs-name]"), "古い一覧");
  await page.click("[data-testid=vs-delete]");
  assert.match(await page.textContent("[data-testid=vs-delete-text]"), /古い一覧/);
  await page.click("[data-testid=vs-delete-confirm]");
  assert.equal(await page.$("[data-testid=vs-view-2]"), null);
  // 一覧 goes below 貸出中一覧 by dragging it onto its lower half... it is already there: drag 貸出中一覧 below
  // 一覧 and back again with the drag handle to exercise reordering by drag and drop.
  await page.dragAndDrop("[data-testid=vs-view-1]", "[data-testid=vs-view-0]", { targetPosition: { x: 10, y: 2 } });
  assert.match(await page.textContent("[data-testid=vs-view-0]"), /^一覧/);
  await page.dragAndDrop("[data-testid=vs-view-1]", "[data-testid=vs-view-0]", { targetPosition: { x: 10, y: 2 } });
  assert.match(await page.textContent("[data-testid=vs-view-0]"), /貸出中一覧/);

  await page.click("[data-testid=vs-view-0]");
  await page.screenshot({ path: "/tmp/views-settings-1280.png", fullPage: true });
  await page.click("[data-testid=vs-save]");
  await page.waitForSelector("[data-testid=vs-message].ok");
  assert.match(await page.textContent("[data-testid=vs-message]"), /保存しました/);
  assert.match(await page.textContent("[data-testid=vs-status]"), /保存済み・未公開/);
  const saved = await api("GET", `preview/app/views.json?app=${app}`);
  assert.deepEqual(Object.keys(saved.views).sort(), ["一覧", "貸出中一覧"]);
  assert.deepEqual(saved.views["貸出中一覧"].fields, ["Status", "備品名", "Assignee", "Record_number"]);
  assert.equal(saved.views["貸出中一覧"].filterCond, 'Status = "貸出中"');
  assert.equal(saved.views["貸出中一覧"].sort, "貸出日 desc");
  assert.equal(saved.views["貸出中一覧"].index, "0");

  await page.click("[data-testid=vs-publish]");
  await page.waitForSelector("[data-testid=vs-open-app]");
  assert.match(await page.textContent("[data-testid=vs-status]"), /運用中の設定と同じです/);

  // The list opens with 貸出中一覧: exactly those columns in that order, the status values, newest first.
  await page.click("[data-testid=vs-open-app]");
  await page.waitForSelector("[data-testid=records-table]");
  assert.equal(await page.$eval("[data-testid=view-select]", (s) => s.selectedOptions[0].textContent), "貸出中一覧");
  const heads = await page.$$eval("[data-testid=records-table] thead th:not(.col-open)", (els) => els.map((e) => e.textContent.replace(/[▲▼]/g, "").trim()));
  assert.deepEqual(heads.slice(0, 4), ["ステータス", "備品名", "作業者", "レコード番号"]);
  const rows = await page.$$eval("[data-testid=records-table] tbody tr", (trs) => trs.map((tr) => Array.from(tr.querySelectorAll("td:not(.col-open)")).slice(0, 4).map((td) => td.textContent.trim())));
  assert.deepEqual(rows, [["貸出中", "ノートPC", "Administrator", "2"], ["貸出中", "プロジェクター", "Administrator", "1"]]);
  await page.screenshot({ path: "/tmp/views-list-1280.png", fullPage: true });
  assert.deepEqual(page.problems, []);

  // The same page on a phone.
  const phone = await signedInPage(browser, server.baseUrl, { width: 390, height: 844 });
  await phone.goto(`${server.baseUrl}/apps/${app}/views`);
  await phone.waitForSelector("[data-testid=vs-chosen]");
  await phone.screenshot({ path: "/tmp/views-settings-390.png", fullPage: true });
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  assert.deepEqual(phone.problems, []);
});

test("a bad filter is shown on its view and nothing is saved", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}/views`);
  await page.waitForSelector("[data-testid=vs-view-0]");
  const before = await api("GET", `preview/app/views.json?app=${app}`);
  await page.click("[data-testid=vs-view-1]");
  await page.click("[data-testid=vs-filter-text] >> xpath=ancestor::details/summary").catch(() => {});
  await page.fill("[data-testid=vs-filter-text]", "存在しない項目 = \"x\"");
  await page.click("[data-testid=vs-save]");
  await page.waitForSelector("[data-testid=vs-error-filterCond]");
  assert.match(await page.textContent("[data-testid=vs-message]"), /保存できませんでした/);
  const afterSave = await api("GET", `preview/app/views.json?app=${app}`);
  assert.equal(afterSave.revision, before.revision);
  assert.deepEqual(page.problems, []);
});

test("a private view is saved from the list by its owner and seen only by them", async () => {
  const sato = await pageOf("sato");
  await sato.goto(`${server.baseUrl}/apps/${app}`);
  await sato.waitForSelector("[data-testid=records-table]");
  await sato.click("[data-testid=private-views-toggle]");
  await sato.fill("[data-testid=private-view-name]", "自分の確認用");
  await Promise.all([sato.waitForURL(/view=private%3A\d+/), sato.click("[data-testid=private-view-save]")]);
  await sato.waitForSelector("[data-testid=records-table]");
  assert.equal(await sato.$eval("[data-testid=private-views-group]", (g) => g.label), "個人用");
  assert.match(await sato.$eval("[data-testid=view-select]", (s) => s.selectedOptions[0].textContent), /自分の確認用（個人用）/);
  // The private view keeps the columns of the view it was saved from.
  const heads = await sato.$$eval("[data-testid=records-table] thead th:not(.col-open)", (els) => els.map((e) => e.textContent.replace(/[▲▼]/g, "").trim()));
  assert.deepEqual(heads.slice(0, 4), ["ステータス", "備品名", "作業者", "レコード番号"]);
  // Rename it.
  await sato.click("[data-testid=private-views-toggle]");
  await sato.fill("[data-testid=private-view-name]", "佐藤の貸出確認");
  await Promise.all([sato.waitForNavigation(), sato.click("[data-testid=private-view-rename]")]);
  await sato.waitForSelector("[data-testid=records-table]");
  assert.match(await sato.$eval("[data-testid=view-select]", (s) => s.selectedOptions[0].textContent), /佐藤の貸出確認/);
  await sato.screenshot({ path: "/tmp/views-private-1280.png", fullPage: true });
  assert.deepEqual(sato.problems, []);

  // Another user sees no private views; the administrator neither.
  const suzuki = await pageOf("suzuki");
  await suzuki.goto(`${server.baseUrl}/apps/${app}`);
  await suzuki.waitForSelector("[data-testid=records-table]");
  assert.equal(await suzuki.$("[data-testid=private-views-group]"), null);
  const options = await suzuki.$$eval("[data-testid=view-select] option", (os) => os.map((o) => o.textContent));
  assert.ok(!options.some((o) => /佐藤/.test(o)), options.join(","));
  assert.deepEqual(suzuki.problems, []);

  // sato deletes it after confirming.
  sato.once("dialog", (d) => d.accept());
  await sato.click("[data-testid=private-views-toggle]");
  await Promise.all([sato.waitForNavigation(), sato.click("[data-testid=private-view-delete]")]);
  await sato.waitForSelector("[data-testid=records-table]");
  assert.equal(await sato.$("[data-testid=private-views-group]"), null);

  const phone = await pageOf("sato", { width: 390, height: 844 });
  await phone.goto(`${server.baseUrl}/apps/${app}`);
  await phone.waitForSelector("[data-testid=records-table]");
  await phone.click("[data-testid=private-views-toggle]");
  await phone.screenshot({ path: "/tmp/views-private-390.png", fullPage: true });
  assert.deepEqual(phone.problems, []);
});

test("a calendar view needs a date field; with review required, publishing points to the review page", async () => {
  await api("PUT", "preview/app/settings.json", { app, requireReview: true });
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}/views`);
  await page.waitForSelector("[data-testid=vs-view-0]");
  await page.click("[data-testid=vs-add]");
  await page.fill("[data-testid=vs-name]", "貸出カレンダー");
  await page.selectOption("[data-testid=vs-type]", "CALENDAR");
  // Only date fields are offered; the first one is chosen.
  const dates = await page.$$eval("[data-testid=vs-date] option", (os) => os.map((o) => o.value));
  assert.deepEqual(dates.filter((d) => !/^(Created_datetime|Updated_datetime)$/.test(d)), ["貸出日"]);
  assert.equal(await page.inputValue("[data-testid=vs-date]"), "貸出日");
  await page.selectOption("[data-testid=vs-title-field]", "備品名");
  await page.click("[data-testid=vs-publish]");
  await page.waitForSelector("[data-testid=vs-review-link]");
  assert.match(await page.textContent("[data-testid=vs-message]"), /審査/);
  assert.equal(await page.getAttribute("[data-testid=vs-review-link]", "href"), `/apps/${app}/review`);
  const saved = await api("GET", `preview/app/views.json?app=${app}`);
  assert.equal(saved.views["貸出カレンダー"].type, "CALENDAR");
  assert.equal(saved.views["貸出カレンダー"].date, "貸出日");
  assert.equal(saved.views["貸出カレンダー"].title, "備品名");
  const live = await api("GET", `app/views.json?app=${app}`);
  assert.equal(live.views["貸出カレンダー"], undefined, "not published while the review is pending");
  assert.deepEqual(page.problems, []);
});
