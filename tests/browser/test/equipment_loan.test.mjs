// Issue 10's "Done when", in one go on a fresh server: a 総務課 user (not an administrator) builds
// 備品貸出管理 entirely in the browser — the app from the portal, fields in the designer (a drop-down whose
// choices are typed in the choice editor), the record title, a four-status process with an approver
// picked by partial name and a branch made in the condition builder, a view with chosen columns and the
// status column. With the review policy on for every app, publishing waits; the IT reviewer sees the
// count in the header, finds the app in the queue, reads the changes as sentences and the diagram with
// names, and approves; the builder publishes; a 高額 record runs through the workflow on the record page
// and shows in the view. Only what an administrator does beforehand (departments, users, the
// reviewers' group, the policy) goes through the API.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, ADMIN_PASSWORD } from "../lib.mjs";

const PW = "equipment-password-1";
const BACKEND = process.env.KUMIKI_BACKEND || "sqlite";
let server, browser;

const auth = (login, password) => ({ "X-Cybozu-Authorization": Buffer.from(login + ":" + password).toString("base64"), "Content-Type": "application/json" });
async function api(method, path, body, login = "Administrator") {
  const headers = auth(login, login === "Administrator" ? ADMIN_PASSWORD : PW);
  const url = server.baseUrl + (path.startsWith("/") ? path : "/k/v1/" + path);
  const r = await fetch(url, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const j = await r.json();
  assert.ok(r.ok, `${method} ${path}: ${JSON.stringify(j)}`);
  return j;
}

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
  // What an administrator sets up beforehand: the organisation, the reviewers' group, the policy.
  await api("POST", "/api/org/departments.json", { code: "somu", name: "総務課" });
  await api("POST", "/api/org/departments.json", { code: "johoseisaku", name: "情報政策課" });
  for (const [code, name] of [["tanaka", "田中 花子"], ["sato", "佐藤 一郎"], ["saito", "斉藤 三郎"]]) {
    await api("POST", "/api/org/users.json", { code, name, password: PW, mustChangePassword: false });
  }
  await api("PUT", "/api/org/memberships.json", { user: "tanaka", departments: ["somu"], primaryDepartment: "somu" });
  await api("PUT", "/api/org/memberships.json", { user: "sato", departments: ["johoseisaku"], primaryDepartment: "johoseisaku" });
  await api("POST", "/api/org/groups.json", { code: "it-reviewers", name: "情報政策課 審査担当" });
  await api("PUT", "/api/org/memberships.json", { user: "sato", groups: ["it-reviewers"] });
  // Only administrators create apps by default: 総務課 is allowed to build its own.
  await api("PUT", "/api/admin/app-creation.json", { mode: "listed", departments: ["somu"] });
  assert.deepEqual(await api("PUT", "/api/review/policy.json", { mode: "all" }), { mode: "all", departments: [] });
});
after(async () => { await browser?.close(); await server?.stop(); });

/** A signed-in page; every page error, failed request, 5xx or request off the server is a problem. */
async function signIn(login) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ja-JP" });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("requestfailed", (r) => { if (!/ERR_ABORTED/.test(r.failure()?.errorText || "")) problems.push("request failed: " + r.url()); });
  page.on("request", (r) => { if (!r.url().startsWith(server.baseUrl) && !r.url().startsWith("data:")) problems.push("outside request: " + r.url()); });
  page.on("response", (r) => { if (r.status() >= 500) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.problems = problems;
  await page.goto(server.baseUrl + "/login");
  await page.fill("input[name=login]", login);
  await page.fill("input[name=password]", PW);
  await Promise.all([page.waitForURL(server.baseUrl + "/"), page.click("form[action='/login'] button[type=submit]")]);
  return page;
}

const tid = (id) => `[data-testid="${id}"]`;
const shot = (page, name) => page.screenshot({ path: `/tmp/e2e-${name}-${BACKEND}.png`, fullPage: true });

/** Clears a box by keyboard and types, the way a person does. */
async function retype(page, selector, text) {
  await page.click(selector);
  await page.keyboard.press("Control+A");
  await page.keyboard.type(text);
}

/** Drops a palette type at the end of the form, selects it and names it. */
async function placeField(page, type, label) {
  const gaps = await page.$$("[data-testid^=canvas-gap-]");
  const target = gaps.length ? tid(`canvas-gap-${gaps.length - 1}`) : tid("canvas");
  const seen = await page.$$eval("[data-testid=canvas] [data-uid]", (els) => els.map((e) => e.getAttribute("data-uid")));
  await page.dragAndDrop(tid(`palette-${type}`), target);
  const uid = await page.waitForFunction((old) => {
    const all = Array.from(document.querySelectorAll("[data-testid=canvas] [data-uid]")).map((e) => e.getAttribute("data-uid"));
    return all.filter((u) => old.indexOf(u) < 0)[0] || null;
  }, seen).then((h) => h.jsonValue());
  await page.click(`[data-testid=canvas] [data-uid="${uid}"]`);
  await page.waitForSelector(tid("panel-label"));
  await retype(page, tid("panel-label"), label);
  assert.equal(await page.inputValue(tid("panel-code")), label, "the field code follows the label");
}

/** Runs the record page's action button whose text matches, choosing the next assignee if asked. */
async function runAction(page, label, assignee) {
  const button = page.locator("[data-testid^=process-action-]", { hasText: label });
  await button.waitFor();
  if (assignee) {
    const testid = (await button.getAttribute("data-testid")).replace("process-action-", "process-assignee-");
    await page.selectOption(tid(testid), { label: assignee });
  }
  await Promise.all([page.waitForLoadState("load"), button.click()]);
}

test("a 総務課 user builds 備品貸出管理 in the browser, IT reviews it, and a loan runs through the workflow", async () => {
  // ---- 1. 田中 花子 creates the app from the portal and places the fields in the designer.
  const tanaka = await signIn("tanaka");
  assert.equal(await tanaka.isVisible(tid("review-count")), false, "a department user has no review queue");
  await tanaka.fill(tid("new-app-name"), "備品貸出管理");
  await Promise.all([tanaka.waitForURL(/\/apps\/\d+\/settings/), tanaka.click(tid("create-blank"))]);
  const app = tanaka.url().match(/apps\/(\d+)/)[1];
  await tanaka.waitForSelector(tid("canvas"));

  await placeField(tanaka, "SINGLE_LINE_TEXT", "備品名");
  await placeField(tanaka, "DROP_DOWN", "区分");
  // The choices typed in the choice editor, as a person does: box by box.
  await retype(tanaka, tid("panel-option-label-0"), "通常");
  await retype(tanaka, tid("panel-option-label-1"), "高額");
  assert.equal(await tanaka.inputValue(tid("panel-option-label-0")), "通常");
  assert.equal(await tanaka.inputValue(tid("panel-option-label-1")), "高額");
  assert.equal(await tanaka.$(tid("panel-option-label-2")), null, "two choices only");
  await placeField(tanaka, "USER_SELECT", "借用者");
  await placeField(tanaka, "DATE", "貸出日");
  await tanaka.click(tid("save"));
  await tanaka.waitForSelector("[data-testid=status][data-state=unpublished]", { timeout: 20000 });
  await shot(tanaka, "01-designer");
  const form = (await api("GET", `preview/app/form/fields.json?app=${app}`, null, "tanaka")).properties;
  assert.equal(form["備品名"]?.type, "SINGLE_LINE_TEXT");
  assert.equal(form["区分"]?.type, "DROP_DOWN");
  assert.deepEqual(Object.values(form["区分"].options).sort((a, b) => a.index - b.index).map((o) => o.label), ["通常", "高額"]);
  assert.equal(form["借用者"]?.type, "USER_SELECT");
  assert.equal(form["貸出日"]?.type, "DATE");
  assert.deepEqual(tanaka.problems, []);

  // ---- 2. General settings: the record title is 備品名.
  await tanaka.click(tid("tab-general"));
  await tanaka.waitForURL(new RegExp(`/apps/${app}/general$`));
  await tanaka.waitForSelector("#g-form:not([hidden])");
  await tanaka.check(tid("general-title-manual"));
  await tanaka.selectOption(tid("general-title-field"), "備品名");
  await tanaka.click(tid("general-save"));
  await tanaka.waitForSelector(`${tid("general-message")}:has-text("保存しました")`);
  assert.deepEqual((await api("GET", `preview/app/settings.json?app=${app}`, null, "tanaka")).titleField, { selectionMode: "MANUAL", code: "備品名" });
  assert.deepEqual(tanaka.problems, []);

  // ---- 3. Process management: 申請 → 承認待ち → 貸出中 → 返却済, 佐藤 一郎 approves, 高額 items wait.
  await tanaka.click(tid("tab-process"));
  await tanaka.waitForURL(new RegExp(`/apps/${app}/process$`));
  await tanaka.waitForSelector(tid("procset-states-empty"));
  await tanaka.click(".procset-switch");
  assert.equal(await tanaka.isChecked(tid("procset-enable")), true);
  for (const name of ["申請", "承認待ち", "貸出中", "返却済"]) {
    await tanaka.fill(tid("procset-new-state"), name);
    await tanaka.press(tid("procset-new-state"), "Enter");
  }
  // The approver, found by part of the name (斉藤 三郎 is not offered).
  await tanaka.fill(tid("procset-state-1-pick-search"), "佐藤");
  await tanaka.waitForSelector(`${tid("procset-state-1-pick-hit-0")}:has-text("佐藤 一郎")`);
  assert.equal(await tanaka.locator("[data-testid^=procset-state-1-pick-hit-]").count(), 1);
  await tanaka.click(tid("procset-state-1-pick-hit-0"));
  assert.equal(await tanaka.textContent(tid("procset-state-1-entity-0-name")), "佐藤 一郎");
  const addAction = async (i, name, from, to) => {
    await tanaka.click(tid("procset-add-action"));
    await tanaka.fill(tid(`procset-action-${i}-name`), name);
    await tanaka.selectOption(tid(`procset-action-${i}-from`), { label: from });
    await tanaka.selectOption(tid(`procset-action-${i}-to`), { label: to });
  };
  await addAction(0, "申請する", "申請", "承認待ち");
  await tanaka.click(tid("procset-action-0-cond-edit"));
  await tanaka.waitForSelector(`${tid("procset-cond-dialog")}[open]`);
  await tanaka.selectOption(tid("condition-field-0"), "区分");
  await tanaka.check(`${tid("condition-value-0")} input[value="高額"]`);
  assert.equal(await tanaka.inputValue(tid("procset-cond-text")), '区分 in ("高額")');
  await tanaka.click(tid("procset-cond-apply"));
  assert.equal(await tanaka.textContent(tid("procset-action-0-cond")), '区分 in ("高額")');
  await addAction(1, "申請する", "申請", "貸出中");
  await addAction(2, "承認する", "承認待ち", "貸出中");
  await addAction(3, "返却する", "貸出中", "返却済");
  await tanaka.click(tid("procset-save"));
  await tanaka.waitForSelector(`${tid("procset-message")}:has-text("保存しました")`);
  await shot(tanaka, "02-process");
  assert.deepEqual(tanaka.problems, []);

  // ---- 4. The view 貸出一覧: 備品名, ステータス, 区分, 作業者 — in that order.
  await tanaka.click(tid("tab-views"));
  await tanaka.waitForURL(new RegExp(`/apps/${app}/views$`));
  await tanaka.waitForSelector(tid("vs-add"));
  await tanaka.click(tid("vs-add"));
  await tanaka.fill(tid("vs-name"), "貸出一覧");
  for (const code of await tanaka.$$eval("[data-testid=vs-chosen] [data-code]", (els) => els.map((e) => e.dataset.code))) {
    await tanaka.click(tid(`vs-col-${code}-remove`));
  }
  for (const code of ["備品名", "区分", "Status", "Assignee"]) await tanaka.click(tid(`vs-avail-${code}-add`));
  // ステータス dropped on 区分 goes before it.
  await tanaka.dragAndDrop(tid("vs-col-Status"), tid("vs-col-区分"));
  const chosen = await tanaka.$$eval("[data-testid=vs-chosen] .vs-col-label > span:first-child", (els) => els.map((e) => e.textContent));
  assert.deepEqual(chosen, ["備品名", "ステータス", "区分", "作業者"]);
  await tanaka.click(tid("vs-save"));
  await tanaka.waitForSelector(`${tid("vs-message")}.ok`);
  assert.match(await tanaka.textContent(tid("vs-message")), /保存しました/);
  await shot(tanaka, "03-views");
  const savedViews = await api("GET", `preview/app/views.json?app=${app}`, null, "tanaka");
  assert.deepEqual(savedViews.views["貸出一覧"]?.fields, ["備品名", "Status", "区分", "Assignee"]);
  assert.deepEqual(tanaka.problems, []);

  // ---- 5. Publishing waits for review; 田中 submits the app.
  await tanaka.click(tid("tab-process"));
  await tanaka.waitForSelector(tid("procset-publish"));
  await tanaka.click(tid("procset-publish"));
  await tanaka.waitForSelector(tid("procset-review-link"), { timeout: 30000 });
  assert.match(await tanaka.textContent(tid("procset-message")), /審査が必要/);
  await shot(tanaka, "04-publish-waits");
  const notLive = await fetch(`${server.baseUrl}/k/v1/app/form/fields.json?app=${app}`, { headers: auth("tanaka", PW) });
  const notLiveBody = await notLive.json();
  assert.ok(!notLive.ok || !notLiveBody.properties?.["備品名"], "nothing is live before the review");
  await Promise.all([tanaka.waitForURL(new RegExp(`/apps/${app}/review$`)), tanaka.click(tid("procset-review-link"))]);
  await tanaka.waitForSelector(tid("review-requirement"));
  await tanaka.fill(tid("review-comment"), "備品貸出管理を新しく作りました。高額の備品は佐藤さんの承認を受けます。");
  await tanaka.click(tid("submit-review"));
  await tanaka.waitForSelector("[data-testid=review-state] [data-testid=state-PENDING]");
  assert.deepEqual(tanaka.problems, []);

  // ---- 6. 佐藤 一郎 (IT) reviews: count in the header, the queue, the sentences and the diagram.
  const sato = await signIn("sato");
  assert.equal((await sato.textContent(tid("review-count"))).trim(), "1");
  await Promise.all([sato.waitForURL(/\/review$/), sato.click(tid("nav-review"))]);
  await sato.waitForSelector(tid(`queue-item-${app}`));
  assert.match(await sato.textContent(tid(`queue-item-${app}`)), /備品貸出管理/);
  assert.equal((await sato.textContent(tid(`queue-submitter-${app}`))).trim(), "田中 花子");
  await shot(sato, "05-queue");
  await Promise.all([sato.waitForURL(new RegExp(`/apps/${app}/review$`)), sato.click(tid(`queue-open-${app}`))]);
  await sato.waitForSelector("[data-testid=review-diff] [data-testid=diff-sentence]");
  const sentences = await sato.$$eval("[data-testid=review-diff] [data-testid=diff-sentence]", (els) => els.map((e) => e.textContent));
  const all = sentences.join("\n");
  assert.ok(sentences.some((s) => /^フィールド『備品名』（.+）を追加$/.test(s)), all);
  assert.ok(sentences.some((s) => /^フィールド『区分』（.+）を追加$/.test(s)), all);
  assert.ok(sentences.includes("ステータス『承認待ち』を追加（作業者: 佐藤 一郎 から1人を選択）"), all);
  assert.ok(sentences.includes("アクション『申請する』（申請 → 承認待ち）を追加"), all);
  // The branch's condition is shown with its action, old and new side by side.
  const diffText = await sato.textContent(tid("review-diff"));
  assert.match(diffText, /アクション『申請する』（申請 → 承認待ち）を追加[^『]*実行できる条件（なし）区分 in \("高額"\)/);
  assert.ok(!/sato/.test(all), "people by name, not login");
  await sato.waitForFunction(() => {
    const img = document.querySelector("[data-testid=review-diagram]");
    return img && img.complete && img.naturalWidth > 0;
  });
  const svg = await sato.evaluate(async (a) => (await fetch(`/api/app/diagram.svg?app=${a}&stage=preview&lang=ja`)).text(), app);
  for (const name of ["申請", "承認待ち", "貸出中", "返却済", "佐藤 一郎"]) assert.ok(svg.includes(name), `${name} in the diagram`);
  assert.ok(!/>\s*sato\s*</.test(svg), "the approver by name, not by login");
  assert.ok(!svg.includes("…"), "nothing cut in the diagram");
  await shot(sato, "06-review");
  await sato.fill(tid("decision-comment"), "承認者と分岐の条件を確認しました。");
  await sato.click(tid("approve"));
  await sato.waitForSelector("[data-testid=review-state] [data-testid=state-APPROVED]");
  assert.deepEqual(sato.problems, []);

  // ---- 7. 田中 publishes the approved app; the live settings are what was built.
  await tanaka.goto(`${server.baseUrl}/apps/${app}/review`);
  await tanaka.waitForSelector(`${tid("deploy-approved")}:visible`);
  await tanaka.click(tid("deploy-approved"));
  await tanaka.waitForSelector(`${tid("review-message")} ${tid("open-app")}`, { timeout: 30000 });
  await shot(tanaka, "07-published");
  const liveFields = (await api("GET", `app/form/fields.json?app=${app}`, null, "tanaka")).properties;
  for (const [code, type] of [["備品名", "SINGLE_LINE_TEXT"], ["区分", "DROP_DOWN"], ["借用者", "USER_SELECT"], ["貸出日", "DATE"]]) {
    assert.equal(liveFields[code]?.type, type, `live field ${code}`);
  }
  const liveStatus = await api("GET", `app/status.json?app=${app}`, null, "tanaka");
  const none = { type: "ONE", entities: [] };
  assert.equal(liveStatus.enable, true);
  assert.deepEqual(liveStatus.states, {
    申請: { name: "申請", index: "0", assignee: none },
    承認待ち: { name: "承認待ち", index: "1", assignee: { type: "ONE", entities: [{ entity: { type: "USER", code: "sato" }, includeSubs: false }] } },
    貸出中: { name: "貸出中", index: "2", assignee: none },
    返却済: { name: "返却済", index: "3", assignee: none },
  });
  const action = (name, from, to, filterCond = "") => ({ name, from, to, filterCond, type: "PRIMARY", executableUser: { entities: [] } });
  assert.deepEqual(liveStatus.actions, [
    action("申請する", "申請", "承認待ち", '区分 in ("高額")'),
    action("申請する", "申請", "貸出中"),
    action("承認する", "承認待ち", "貸出中"),
    action("返却する", "貸出中", "返却済"),
  ]);
  const liveViews = (await api("GET", `app/views.json?app=${app}`, null, "tanaka")).views;
  assert.deepEqual(liveViews["貸出一覧"]?.fields, ["備品名", "Status", "区分", "Assignee"]);
  assert.deepEqual((await api("GET", `app/settings.json?app=${app}`, null, "tanaka")).titleField, { selectionMode: "MANUAL", code: "備品名" });
  assert.deepEqual(tanaka.problems, []);

  // ---- 8. A 高額 projector: added by 田中, 申請する → 承認待ち (to 佐藤 一郎), 承認する by 佐藤 → 貸出中.
  await tanaka.goto(`${server.baseUrl}/apps/${app}/records/new`);
  await tanaka.waitForSelector(tid("record-form"));
  await tanaka.fill(tid("field-備品名"), "プロジェクター（会議室A）");
  await tanaka.selectOption(tid("field-区分"), "高額");
  await tanaka.click(tid("field-借用者"));
  await tanaka.keyboard.type("田中");
  await tanaka.waitForSelector(`${tid("field-借用者-choice-0")}:has-text("田中 花子")`);
  await tanaka.keyboard.press("Enter");
  assert.match(await tanaka.textContent(tid("field-借用者-chosen")), /田中 花子/);
  await tanaka.fill(tid("field-貸出日"), "2026-12-03");
  await Promise.all([tanaka.waitForURL(/\/records\/\d+\?saved=1$/), tanaka.click(tid("save-record"))]);
  const id = tanaka.url().match(/records\/(\d+)/)[1];
  await tanaka.waitForSelector(`${tid("process-status")}:has-text("申請")`);
  await runAction(tanaka, "申請する → 承認待ち", "佐藤 一郎");
  await tanaka.waitForSelector(`${tid("process-status")}:has-text("承認待ち")`);
  assert.match(await tanaka.textContent(tid("process-assignees")), /佐藤 一郎/);
  assert.equal(await tanaka.locator("[data-testid^=process-action-]").count(), 0, "only the approver moves it on");
  await shot(tanaka, "08-record-waiting");
  const { record } = await api("GET", `record.json?app=${app}&id=${id}`, null, "tanaka");
  assert.deepEqual(record["借用者"].value.map((u) => u.code), ["tanaka"]);
  assert.equal(record["貸出日"].value, "2026-12-03");
  assert.deepEqual(record.Assignee.value.map((u) => u.code), ["sato"]);
  assert.deepEqual(tanaka.problems, []);

  await sato.goto(`${server.baseUrl}/apps/${app}/records/${id}`);
  await runAction(sato, "承認する → 貸出中");
  await sato.waitForSelector(`${tid("process-status")}:has-text("貸出中")`);
  await shot(sato, "09-record-approved");
  assert.equal((await api("GET", `record.json?app=${app}&id=${id}`)).record.Status.value, "貸出中");
  assert.deepEqual(sato.problems, []);

  // The list opens with 貸出一覧: its columns in the chosen order, the status 貸出中.
  await tanaka.goto(`${server.baseUrl}/apps/${app}`);
  await tanaka.waitForSelector(tid("records-table"));
  assert.equal(await tanaka.$eval(tid("view-select"), (s) => s.selectedOptions[0].textContent), "貸出一覧");
  const heads = await tanaka.$$eval("[data-testid=records-table] thead th:not(.col-open)", (els) => els.map((e) => e.textContent.replace(/[▲▼]/g, "").trim()));
  assert.deepEqual(heads.slice(0, 4), ["備品名", "ステータス", "区分", "作業者"]);
  const rows = await tanaka.$$eval("[data-testid=records-table] tbody tr", (trs) => trs.map((tr) => Array.from(tr.querySelectorAll("td:not(.col-open)")).slice(0, 3).map((td) => td.textContent.trim())));
  assert.deepEqual(rows, [["プロジェクター（会議室A）", "貸出中", "高額"]]);
  await shot(tanaka, "10-list");
  assert.deepEqual(tanaka.problems, []);
});
