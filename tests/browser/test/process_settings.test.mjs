// Process management settings in the browser (issue 10, item 1): a 総務課 user who manages 備品貸出管理
// (not an administrator) builds a four-status workflow 申請 → 承認待ち → 貸出中 → 返却済 with an approver
// picked by partial name and a branch whose condition is made in the condition builder, watches the
// preview diagram follow the edits, saves and publishes; the live settings are exactly those, and
// records run through the workflow on the record page. A status that records are in cannot be deleted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, ADMIN_PASSWORD } from "../lib.mjs";

const PW = "lending-password-1";
let server, browser, app;

function auth(login, password) {
  return { "X-Cybozu-Authorization": Buffer.from(login + ":" + password).toString("base64"), "Content-Type": "application/json" };
}
async function api(method, path, body, login = "Administrator") {
  const headers = auth(login, login === "Administrator" ? ADMIN_PASSWORD : PW);
  const url = server.baseUrl + (path.startsWith("/") ? path : "/k/v1/" + path);
  const r = await fetch(url, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const j = await r.json();
  assert.ok(r.ok, `${method} ${path}: ${JSON.stringify(j)}`);
  return j;
}

async function deployed() {
  for (let i = 0; i < 50; i++) {
    const s = await api("GET", `preview/app/deploy.json?apps[0]=${app}`);
    if (s.apps[0].status !== "PROCESSING") return s.apps[0].status;
    await new Promise((r) => setTimeout(r, 200));
  }
  return "TIMEOUT";
}

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
  await api("POST", "/api/org/departments.json", { code: "somu", name: "総務課" });
  for (const [code, name] of [["tanaka", "田中 花子"], ["sato", "佐藤 一郎"], ["saito", "斉藤 三郎"]]) {
    await api("POST", "/api/org/users.json", { code, name, password: PW, mustChangePassword: false });
  }
  await api("PUT", "/api/org/memberships.json", { user: "tanaka", departments: ["somu"] });
  ({ app } = await api("POST", "preview/app.json", { name: "備品貸出管理" }));
  await api("POST", "preview/app/form/fields.json", { app, properties: {
    備品名: { type: "SINGLE_LINE_TEXT", code: "備品名", label: "備品名" },
    区分: { type: "DROP_DOWN", code: "区分", label: "区分", options: { 通常: { label: "通常", index: "0" }, 高額: { label: "高額", index: "1" } } },
    借用者: { type: "USER_SELECT", code: "借用者", label: "借用者" },
  } });
  // 田中 manages the app (app ACL); everyone may use it.
  const use = { recordViewable: true, recordAddable: true, recordEditable: true, recordDeletable: false };
  await api("PUT", "preview/app/acl.json", { app, rights: [
    { entity: { type: "USER", code: "tanaka" }, appEditable: true, ...use, recordDeletable: true },
    { entity: { type: "GROUP", code: "everyone" }, appEditable: false, ...use },
  ] });
  await api("POST", "preview/app/deploy.json", { apps: [{ app }] });
  assert.equal(await deployed(), "SUCCESS");
});
after(async () => { await browser?.close(); await server?.stop(); });

async function signIn(login, { width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale: "ja-JP" });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("requestfailed", (r) => { if (!/ERR_ABORTED/.test(r.failure()?.errorText || "")) problems.push("request failed: " + r.url()); });
  page.on("request", (r) => { if (!r.url().startsWith(server.baseUrl) && !r.url().startsWith("data:")) problems.push("outside request: " + r.url()); });
  page.problems = problems;
  await page.goto(server.baseUrl + "/login");
  await page.fill("input[name=login]", login);
  await page.fill("input[name=password]", PW);
  await Promise.all([page.waitForURL(server.baseUrl + "/"), page.click("form[action='/login'] button[type=submit]")]);
  return page;
}

const tid = (id) => `[data-testid="${id}"]`;

/** The SVG shown in the preview (decoded from its data: URL) once its version is past `after`. */
async function diagram(page, after = 0) {
  await page.waitForFunction((v) => {
    const img = document.querySelector("[data-testid=procset-diagram]");
    return img && !img.hidden && Number(img.getAttribute("data-version")) > v;
  }, after);
  return page.evaluate(() => {
    const img = document.querySelector("[data-testid=procset-diagram]");
    const bytes = Uint8Array.from(atob(img.src.split(",")[1]), (c) => c.charCodeAt(0));
    return { version: Number(img.getAttribute("data-version")), svg: new TextDecoder().decode(bytes) };
  });
}

async function addState(page, name) {
  await page.fill(tid("procset-new-state"), name);
  await page.press(tid("procset-new-state"), "Enter");
}

async function stateNames(page) {
  return page.$$eval("[data-testid^=procset-state-][data-testid$=-name]", (els) => els.filter((e) => e.tagName === "INPUT").map((e) => e.value));
}

async function addAction(page, i, name, from, to) {
  await page.click(tid("procset-add-action"));
  await page.fill(tid(`procset-action-${i}-name`), name);
  await page.selectOption(tid(`procset-action-${i}-from`), { label: from });
  await page.selectOption(tid(`procset-action-${i}-to`), { label: to });
}

async function runAction(page, label, assignee) {
  const button = page.locator("[data-testid^=process-action-]", { hasText: label });
  await button.waitFor();
  if (assignee) {
    const testid = (await button.getAttribute("data-testid")).replace("process-action-", "process-assignee-");
    await page.selectOption(tid(testid), { label: assignee });
  }
  await Promise.all([page.waitForLoadState("load"), button.click()]);
}

test("a department user builds the lending workflow in the browser and a record runs through it", async () => {
  const page = await signIn("tanaka");
  await page.goto(`${server.baseUrl}/apps/${app}/process`);
  await page.waitForSelector(tid("procset-states-empty"));
  assert.equal(await page.getAttribute(tid("tab-process"), "aria-current"), "page");
  assert.equal(await page.textContent(tid("procset-status")), "運用中の設定と同じです");
  const first = await diagram(page);

  await page.click(".procset-switch");
  assert.equal(await page.isChecked(tid("procset-enable")), true);
  // Statuses: one typed wrong and renamed, one added out of order and moved by drag and drop, then
  // moved down and up again with the buttons.
  await addState(page, "申請");
  await addState(page, "承認まち");
  await addState(page, "返却済");
  await addState(page, "貸出中");
  await page.fill(tid("procset-state-1-name"), "承認待ち");
  assert.deepEqual(await stateNames(page), ["申請", "承認待ち", "返却済", "貸出中"]);
  await page.dragAndDrop(".procset-state:nth-child(4) .procset-handle", ".procset-state:nth-child(3)");
  assert.deepEqual(await stateNames(page), ["申請", "承認待ち", "貸出中", "返却済"]);
  await page.click(tid("procset-state-1-down"));
  assert.deepEqual(await stateNames(page), ["申請", "貸出中", "承認待ち", "返却済"]);
  await page.click(tid("procset-state-2-up"));
  assert.deepEqual(await stateNames(page), ["申請", "承認待ち", "貸出中", "返却済"]);
  assert.equal(await page.textContent(tid("procset-status")), "保存していない変更があります");
  // Two statuses of the same name are pointed out at the row, before anything is sent.
  await page.fill(tid("procset-state-3-name"), "貸出中");
  await page.waitForSelector(`${tid("procset-state-3-error")}:has-text("同じ名前のステータスがあります")`);
  assert.equal(await page.isVisible(tid("procset-preview-note")), true, "the diagram says it is not up to date");
  await page.fill(tid("procset-state-3-name"), "返却済");
  await page.waitForSelector(tid("procset-state-3-error"), { state: "detached" });

  // The approver, found by part of the name and shown by name.
  await page.fill(tid("procset-state-1-pick-search"), "佐藤");
  await page.waitForSelector(`${tid("procset-state-1-pick-hit-0")}:has-text("佐藤 一郎")`);
  assert.equal(await page.locator("[data-testid^=procset-state-1-pick-hit-]").count(), 1, "only 佐藤 matches, not 斉藤");
  await page.click(tid("procset-state-1-pick-hit-0"));
  assert.equal(await page.textContent(tid("procset-state-1-entity-0-name")), "佐藤 一郎");
  // 貸出中: whoever borrows (the user field), any one of them.
  await page.selectOption(tid("procset-state-2-assignee-type"), "ANY");
  await page.selectOption(tid("procset-state-2-pick-kind"), "FIELD_ENTITY");
  await page.selectOption(tid("procset-state-2-pick-field"), "借用者");
  await page.click(tid("procset-state-2-pick-add"));
  assert.match(await page.textContent(tid("procset-state-2-entity-0-name")), /借用者/);

  // An action without a name is refused next to its row, in Japanese.
  await page.click(tid("procset-add-action"));
  await page.selectOption(tid("procset-action-0-to"), "");
  await page.click(tid("procset-save"));
  await page.waitForSelector(`${tid("procset-message")}:has-text("保存できませんでした")`);
  const rowError = await page.textContent(tid("procset-action-0-error"));
  assert.match(rowError, /アクション名は1〜64文字で入力してください/);
  assert.match(rowError, /実行前と実行後のステータスを選んでください/);
  await page.click(tid("procset-action-0-delete"));

  // 申請する branches: 高額 items wait for approval (condition made in the builder), others go out.
  await addAction(page, 0, "申請する", "申請", "承認待ち");
  await page.click(tid("procset-action-0-cond-edit"));
  await page.waitForSelector(`${tid("procset-cond-dialog")}[open]`);
  await page.selectOption(tid("condition-field-0"), "区分");
  await page.check(`${tid("condition-value-0")} input[value="高額"]`);
  assert.equal(await page.inputValue(tid("procset-cond-text")), '区分 in ("高額")');
  await page.click(tid("procset-cond-apply"));
  assert.equal(await page.textContent(tid("procset-action-0-cond")), '区分 in ("高額")');
  await addAction(page, 1, "申請する", "申請", "貸出中");
  await addAction(page, 2, "承認する", "承認待ち", "貸出中");
  await addAction(page, 3, "返却する", "貸出中", "返却済");
  // Who may run an action: 佐藤 approves; 総務課 (and its sub-departments) take items back.
  await page.click(tid("procset-action-2-exec"));
  await page.fill(tid("procset-action-2-exec-pick-search"), "一郎");
  await page.click(`${tid("procset-action-2-exec-pick-hit-0")}:has-text("佐藤 一郎")`);
  assert.equal(await page.textContent(tid("procset-action-2-exec-entity-0-name")), "佐藤 一郎");
  await page.click(tid("procset-action-3-exec"));
  await page.selectOption(tid("procset-action-3-exec-pick-kind"), "ORGANIZATION");
  await page.fill(tid("procset-action-3-exec-pick-search"), "総務");
  // A redraw of the actions while the name is half chosen (here a status renamed; the preview
  // redraws too) keeps the picker's kind and text: back in the box, the hit is there again.
  await page.fill(tid("procset-state-0-name"), "申請");
  assert.equal(await page.inputValue(tid("procset-action-3-exec-pick-kind")), "ORGANIZATION");
  assert.equal(await page.inputValue(tid("procset-action-3-exec-pick-search")), "総務");
  await page.click(tid("procset-action-3-exec-pick-search"));
  await page.click(`${tid("procset-action-3-exec-pick-hit-0")}:has-text("総務課")`);
  await page.check(tid("procset-action-3-exec-entity-0-subs"));
  assert.equal(await page.textContent(tid("procset-action-3-exec-entity-0-name")), "総務課");

  // The preview follows the unsaved edits.
  let shown = await diagram(page, first.version);
  for (let i = 0; i < 20 && !shown.svg.includes("返却する"); i++) shown = await diagram(page, shown.version);
  for (const name of ["申請", "承認待ち", "貸出中", "返却済", "申請する", "承認する", "返却する"]) {
    assert.ok(shown.svg.includes(name), `${name} in the preview`);
    assert.ok(!first.svg.includes(name), `${name} not in the first preview`);
  }
  await page.screenshot({ path: "/tmp/procset-desktop.png", fullPage: true });

  await page.click(tid("procset-save"));
  await page.waitForSelector(`${tid("procset-message")}:has-text("保存しました")`);
  assert.equal(await page.textContent(tid("procset-status")), "保存済み・未公開の変更があります");
  await page.click(tid("procset-publish"));
  await page.waitForSelector(tid("procset-open-app"));
  assert.equal(await page.textContent(tid("procset-status")), "運用中の設定と同じです");

  const live = await api("GET", `app/status.json?app=${app}`);
  const none = { type: "ONE", entities: [] };
  assert.equal(live.enable, true);
  assert.deepEqual(live.states, {
    申請: { name: "申請", index: "0", assignee: none },
    承認待ち: { name: "承認待ち", index: "1", assignee: { type: "ONE", entities: [{ entity: { type: "USER", code: "sato" }, includeSubs: false }] } },
    貸出中: { name: "貸出中", index: "2", assignee: { type: "ANY", entities: [{ entity: { type: "FIELD_ENTITY", code: "借用者" }, includeSubs: false }] } },
    返却済: { name: "返却済", index: "3", assignee: none },
  });
  const action = (name, from, to, filterCond = "", entities = []) => ({ name, from, to, filterCond, type: "PRIMARY", executableUser: { entities } });
  assert.deepEqual(live.actions, [
    action("申請する", "申請", "承認待ち", '区分 in ("高額")'),
    action("申請する", "申請", "貸出中"),
    action("承認する", "承認待ち", "貸出中", "", [{ entity: { type: "USER", code: "sato" }, includeSubs: false }]),
    action("返却する", "貸出中", "返却済", "", [{ entity: { type: "ORGANIZATION", code: "somu" }, includeSubs: true }]),
  ]);
  assert.deepEqual(page.problems, []);

  // A 高額 projector: 申請する (to 佐藤 一郎) → 承認する (by 佐藤) → 返却する (by the borrower).
  const { id } = await api("POST", "record.json", { app, record: { 備品名: { value: "プロジェクター" }, 区分: { value: "高額" }, 借用者: { value: [{ code: "tanaka" }] } } }, "tanaka");
  await page.goto(`${server.baseUrl}/apps/${app}/records/${id}`);
  await page.waitForSelector(`${tid("process-status")}:has-text("申請")`);
  await runAction(page, "申請する → 承認待ち", "佐藤 一郎");
  await page.waitForSelector(`${tid("process-status")}:has-text("承認待ち")`);
  assert.match(await page.textContent(tid("process-assignees")), /佐藤 一郎/);
  const sato = await signIn("sato");
  await sato.goto(`${server.baseUrl}/apps/${app}/records/${id}`);
  await runAction(sato, "承認する → 貸出中");
  await sato.waitForSelector(`${tid("process-status")}:has-text("貸出中")`);
  await page.reload();
  await runAction(page, "返却する → 返却済");
  await page.waitForSelector(`${tid("process-status")}:has-text("返却済")`);
  // An ordinary item takes the other branch: straight out on loan.
  const other = await api("POST", "record.json", { app, record: { 備品名: { value: "延長コード" }, 区分: { value: "通常" }, 借用者: { value: [{ code: "tanaka" }] } } }, "tanaka");
  await page.goto(`${server.baseUrl}/apps/${app}/records/${other.id}`);
  await runAction(page, "申請する → 貸出中");
  await page.waitForSelector(`${tid("process-status")}:has-text("貸出中")`);
  const { record } = await api("GET", `record.json?app=${app}&id=${other.id}`);
  assert.equal(record.Status.value, "貸出中");
  assert.deepEqual(page.problems, []);
  assert.deepEqual(sato.problems, []);
});

test("a status that records are in cannot be deleted; an empty one can", async () => {
  const page = await signIn("tanaka");
  await page.goto(`${server.baseUrl}/apps/${app}/process`);
  await page.waitForSelector(tid("procset-state-3-count"));
  assert.equal(await page.textContent(tid("procset-state-3-count")), "レコード 1件");
  await page.click(tid("procset-state-3-delete"));
  await page.waitForSelector(tid("procset-state-3-error"));
  assert.match(await page.textContent(tid("procset-state-3-error")), /「返却済」のレコードが 1件あります。このステータスは削除できません/);
  assert.match(await page.textContent(tid("procset-message")), /先にそれらのレコードを別のステータスへ進めてください/);
  assert.deepEqual(await stateNames(page), ["申請", "承認待ち", "貸出中", "返却済"]);
  // 承認待ち holds no record now: it goes, with the actions that use it.
  await page.click(tid("procset-state-1-delete"));
  await page.waitForSelector(`${tid("procset-message")}:has-text("アクション 2件")`);
  assert.deepEqual(await stateNames(page), ["申請", "貸出中", "返却済"]);
  assert.equal(await page.locator("li.procset-action").count(), 2);
  // Nothing was saved: the live and pre-live settings still have four statuses.
  const pre = await api("GET", `preview/app/status.json?app=${app}`);
  assert.equal(Object.keys(pre.states).length, 4);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: "/tmp/procset-phone.png", fullPage: true });
  assert.deepEqual(page.problems, []);
});

test("someone who only uses the app gets the not-found page", async () => {
  const page = await signIn("saito");
  const resp = await page.goto(`${server.baseUrl}/apps/${app}/process`);
  assert.equal(resp.status(), 404);
});

test("when the app must pass review, publishing is refused with the way to the review page", async () => {
  const { app: reviewed } = await api("POST", "preview/app.json", { name: "公用車予約" });
  await api("PUT", "preview/app/acl.json", { app: reviewed, rights: [
    { entity: { type: "USER", code: "tanaka" }, appEditable: true, recordViewable: true, recordAddable: true, recordEditable: true, recordDeletable: true },
  ] });
  await api("POST", "preview/app/deploy.json", { apps: [{ app: reviewed }] });
  for (let i = 0; i < 50 && (await api("GET", `preview/app/deploy.json?apps[0]=${reviewed}`)).apps[0].status === "PROCESSING"; i++) {
    await new Promise((r) => setTimeout(r, 200));
  }
  await api("PUT", "preview/app/settings.json", { app: reviewed, requireReview: true });
  const page = await signIn("tanaka");
  await page.goto(`${server.baseUrl}/apps/${reviewed}/process`);
  await page.waitForSelector(tid("procset-states-empty"));
  await page.click(".procset-switch");
  await addState(page, "予約");
  await addState(page, "確定");
  await addAction(page, 0, "確定する", "予約", "確定");
  await page.click(tid("procset-publish"));
  await page.waitForSelector(tid("procset-review-link"));
  assert.match(await page.textContent(tid("procset-message")), /審査が必要です/);
  assert.equal(await page.getAttribute(tid("procset-review-link"), "href"), `/apps/${reviewed}/review`);
  // Saved pre-live, not live.
  assert.equal((await api("GET", `preview/app/status.json?app=${reviewed}`, undefined, "tanaka")).enable, true);
  assert.equal((await api("GET", `app/status.json?app=${reviewed}`, undefined, "tanaka")).enable, false);
  assert.deepEqual(page.problems, []);
});
