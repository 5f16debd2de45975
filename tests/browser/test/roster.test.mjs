// Roster (scenario 2): after every personnel change each municipality updates its own staff rows, and
// the prefecture reads the merged roster. Administrator sets record rules on the permissions page —
// each city's department may view and edit the rows of its city, everyone else may only view — and
// publishes; a 長野市 user then sees both cities' rows, saves a 長野市 row and is refused on a 松本市 row.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser;
before(async () => { server = await startServer({ examples: false }); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

function auth(login, password) {
  return { "X-Cybozu-Authorization": Buffer.from(login + ":" + password).toString("base64"), "Content-Type": "application/json" };
}
const admin = auth("Administrator", ADMIN_PASSWORD);

async function call(headers, method, path, body) {
  const url = server.baseUrl + (path.startsWith("/") ? path : "/k/v1/" + path);
  const r = await fetch(url, { method, headers, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, json: await r.json() };
}
async function api(method, path, body) {
  const r = await call(admin, method, path, body);
  assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(r.json)}`);
  return r.json;
}

async function signIn(login, password) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ja-JP" });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.problems = problems;
  await page.goto(server.baseUrl + "/login");
  await page.fill("input[name=login]", login);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForURL(server.baseUrl + "/"), page.click("form[action='/login'] button[type=submit]")]);
  return page;
}

/** Fills one record rule on the permissions page: the city's department view+edit, everyone view. */
async function fillRule(page, i, city, department) {
  await page.fill(`[data-testid=perm-rule-${i}-cond]`, `所属団体 in ("${city}")`);
  await page.selectOption(`[data-testid=perm-rule-${i}-entity-0-type]`, "ORGANIZATION");
  await page.fill(`[data-testid=perm-rule-${i}-entity-0-code]`, department);
  await page.check(`[data-testid=perm-rule-${i}-entity-0-view]`);
  await page.check(`[data-testid=perm-rule-${i}-entity-0-edit]`);
  await page.click(`[data-testid=perm-rule-${i}-add-entity]`);
  await page.selectOption(`[data-testid=perm-rule-${i}-entity-1-type]`, "EVERYONE");
  await page.check(`[data-testid=perm-rule-${i}-entity-1-view]`);
  await page.uncheck(`[data-testid=perm-rule-${i}-entity-1-edit]`);
  await page.uncheck(`[data-testid=perm-rule-${i}-entity-1-delete]`);
}

test("each city edits only its own roster rows; record rules set on the permissions page", async () => {
  // Organisation: two cities, one staff member each.
  await api("POST", "/api/org/departments.json", { code: "nagano", name: "長野市" });
  await api("POST", "/api/org/departments.json", { code: "matsumoto", name: "松本市" });
  await api("POST", "/api/org/users.json", { code: "nagano1", name: "長野 一郎", password: "nagano-password-1", mustChangePassword: false });
  await api("POST", "/api/org/users.json", { code: "matsumoto1", name: "松本 花子", password: "matsumoto-password-1", mustChangePassword: false });
  await api("PUT", "/api/org/memberships.json", { user: "nagano1", departments: ["nagano"] });
  await api("PUT", "/api/org/memberships.json", { user: "matsumoto1", departments: ["matsumoto"] });

  // The roster app and a few rows of both cities.
  const { app } = await api("POST", "preview/app.json", { name: "職員名簿" });
  await api("POST", "preview/app/form/fields.json", {
    app,
    properties: {
      氏名: { type: "SINGLE_LINE_TEXT", code: "氏名", label: "氏名" },
      所属団体: { type: "DROP_DOWN", code: "所属団体", label: "所属団体",
        options: { 長野市: { label: "長野市", index: "0" }, 松本市: { label: "松本市", index: "1" } } },
      役職: { type: "SINGLE_LINE_TEXT", code: "役職", label: "役職" },
    },
  });
  await api("POST", "preview/app/deploy.json", { apps: [{ app }] });
  for (let i = 0; i < 50; i++) {
    const s = await api("GET", `preview/app/deploy.json?apps[0]=${app}`);
    if (s.apps[0].status !== "PROCESSING") { assert.equal(s.apps[0].status, "SUCCESS"); break; }
    await new Promise((r) => setTimeout(r, 200));
  }
  const { ids } = await api("POST", "records.json", {
    app,
    records: [
      { 氏名: { value: "長野 太郎" }, 所属団体: { value: "長野市" }, 役職: { value: "主事" } },
      { 氏名: { value: "松本 次郎" }, 所属団体: { value: "松本市" }, 役職: { value: "主任" } },
    ],
  });
  const [naganoRow, matsumotoRow] = ids;

  // Administrator opens the permissions page from the record list.
  const it = await signedInPage(browser, server.baseUrl);
  await it.goto(`${server.baseUrl}/apps/${app}`);
  await Promise.all([it.waitForURL(/\/permissions$/), it.click("[data-testid=app-permissions]")]);
  await it.waitForSelector("[data-testid=perm-app-table]");

  // App rights of a new app: its creator manages it; everyone has the record rights only
  // (docs/security/rights.md). The staff may not delete roster rows either.
  assert.equal(await it.inputValue("[data-testid=perm-app-0-type]"), "CREATOR");
  assert.equal(await it.inputValue("[data-testid=perm-app-1-type]"), "EVERYONE");
  assert.equal(await it.isChecked("[data-testid=perm-app-1-manage]"), false);
  await it.uncheck("[data-testid=perm-app-1-delete]");
  await it.click("[data-testid=perm-app-save]");
  await it.waitForSelector("[data-testid=perm-status][data-state=unpublished]");

  // Record rights: a wrong condition is explained next to its rule by the server.
  await it.click("[data-testid=perm-tab-record]");
  await it.click("[data-testid=perm-record-add]");
  await fillRule(it, 0, "長野市", "nagano");
  await it.fill("[data-testid=perm-rule-0-cond]", `所属 in ("長野市")`);
  await it.click("[data-testid=perm-record-save]");
  await it.waitForSelector("[data-testid=perm-rule-0-error]");
  assert.ok((await it.textContent("[data-testid=perm-rule-0-error]")).trim().length > 0);
  await it.fill("[data-testid=perm-rule-0-cond]", `所属団体 in ("長野市")`);
  await it.click("[data-testid=perm-record-add]");
  await fillRule(it, 1, "松本市", "matsumoto");
  await it.click("[data-testid=perm-record-save]");
  await it.waitForSelector("[data-testid=perm-status][data-state=unpublished]");
  assert.equal(await it.$("[data-testid=perm-rule-0-error]"), null, "the error is gone once fixed");

  // Publish: the rules are live.
  await it.click("[data-testid=perm-publish]");
  await it.waitForSelector("[data-testid=perm-status][data-state=published]", { timeout: 20000 });
  await it.waitForSelector("[data-testid=perm-open-app]");
  const live = await api("GET", `record/acl.json?app=${app}`);
  assert.deepEqual(live.rights.map((r) => r.filterCond), [`所属団体 in ("長野市")`, `所属団体 in ("松本市")`]);
  assert.deepEqual(live.rights[0].entities.map((e) => [e.entity.type, e.entity.code, e.viewable, e.editable, e.deletable]),
    [["ORGANIZATION", "nagano", true, true, false], ["GROUP", "everyone", true, false, false]]);
  const appAcl = await api("GET", `app/acl.json?app=${app}`);
  assert.equal(appAcl.rights[0].entity.type, "CREATOR");
  assert.deepEqual([appAcl.rights[1].entity.type, appAcl.rights[1].entity.code], ["GROUP", "everyone"]);
  assert.equal(appAcl.rights[1].appEditable, false);
  assert.equal(appAcl.rights[1].recordEditable, true);
  assert.equal(appAcl.rights[1].recordDeletable, false);
  assert.deepEqual(it.problems, []);

  // A 長野市 staff member, in a fresh browser: both cities' rows are listed.
  const staff = await signIn("nagano1", "nagano-password-1");
  await staff.goto(`${server.baseUrl}/apps/${app}`);
  await staff.waitForSelector("[data-testid=records-table]");
  await staff.waitForSelector(`[data-testid=record-row-${naganoRow}]`);
  await staff.waitForSelector(`[data-testid=record-row-${matsumotoRow}]`);
  const listText = await staff.textContent("[data-testid=records-table]");
  assert.match(listText, /長野 太郎/);
  assert.match(listText, /松本 次郎/);

  // Their own city's row saves.
  await staff.goto(`${server.baseUrl}/apps/${app}/records/${naganoRow}/edit`);
  await staff.waitForSelector("[data-testid=record-form]");
  await staff.fill("[data-testid=field-役職]", "主査");
  await staff.click("[data-testid=save-record]");
  await staff.waitForSelector("[data-testid=saved-message]");
  const saved = await api("GET", `record.json?app=${app}&id=${naganoRow}`);
  assert.equal(saved.record.役職.value, "主査");

  // The other city's row: no edit button on its page, and its edit form says at once that it cannot
  // be saved.
  await staff.goto(`${server.baseUrl}/apps/${app}/records/${matsumotoRow}`);
  await staff.waitForSelector("[data-testid=edit-record]", { state: "hidden" });
  await staff.goto(`${server.baseUrl}/apps/${app}/records/${matsumotoRow}/edit`);
  await staff.waitForSelector("[data-testid=not-editable]");
  assert.match(await staff.textContent("[data-testid=not-editable]"), /権限がありません/);
  assert.equal(await staff.isDisabled("[data-testid=save-record]"), true);
  const untouched = await api("GET", `record.json?app=${app}&id=${matsumotoRow}`);
  assert.equal(untouched.record.役職.value, "主任");

  // The evaluator the pages use says the same: view both, edit only 長野市.
  const mine = auth("nagano1", "nagano-password-1");
  const ev = await call(mine, "GET", `records/acl/evaluate.json?app=${app}&ids[0]=${naganoRow}&ids[1]=${matsumotoRow}`);
  assert.equal(ev.status, 200, JSON.stringify(ev.json));
  const byId = Object.fromEntries(ev.json.rights.map((r) => [String(r.id), r.record]));
  assert.deepEqual(byId[String(naganoRow)], { viewable: true, editable: true, deletable: false });
  assert.deepEqual(byId[String(matsumotoRow)], { viewable: true, editable: false, deletable: false });

  // The REST API refuses the write too.
  const put = await call(mine, "PUT", "record.json", { app, id: matsumotoRow, record: { 役職: { value: "係長" } } });
  assert.equal(put.status, 403);
  assert.equal(put.json.code, "CB_NO02");

  // Everyone lost the manage right: the permissions page is "not found" for the staff member.
  const resp = await staff.goto(`${server.baseUrl}/apps/${app}/permissions`);
  assert.equal(resp.status(), 404);
  assert.deepEqual(staff.problems, []);
});
