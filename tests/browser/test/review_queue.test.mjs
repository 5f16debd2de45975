// IT review that IT runs: an administrator sets the server-wide policy on the admin page (apps of
// 総務課 need review); a 総務課 user who manages an app changes it and tries to publish — it waits
// for review, said in Japanese; the reviewer (a member of it-reviewers) sees the count in the
// header, opens the queue, reads the changes as sentences and the diagram with people's names, and
// approves; the builder publishes. Times show in the user's time zone, not the browser's.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser;
before(async () => { server = await startServer({ examples: false }); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const admin = { "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" };
async function api(method, path, body, headers = admin) {
  const r = await fetch(server.baseUrl + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const json = await r.json();
  assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}
const as = (login, pw) => ({ "X-Cybozu-Authorization": Buffer.from(login + ":" + pw).toString("base64"), "Content-Type": "application/json" });

/** A signed-in page whose browser clock is UTC (the users' zone is Asia/Tokyo). */
async function signIn(login, password, width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, locale: "ja-JP", timezoneId: "UTC" });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("requestfailed", (r) => { if (!/ERR_ABORTED/.test(r.failure()?.errorText || "")) problems.push("request failed: " + r.url()); });
  page.on("response", (r) => { if (r.status() >= 500) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.problems = problems;
  await page.goto(server.baseUrl + "/login");
  await page.fill("input[name=login]", login);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForURL(server.baseUrl + "/"), page.click("form[action='/login'] button[type=submit]")]);
  return page;
}

async function shoot(page, name) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `/tmp/review_queue-${name}-${width}-${process.env.KUMIKI_BACKEND || "sqlite"}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

const YAMADA = ["yamada", "yamada-password-1"];
const ITO = ["ito", "ito-password-1"];

test("policy on the admin page, publishing waits, the reviewer approves from the queue", async () => {
  // The organisation: 総務課 (yamada builds there), 佐藤 一郎 approves loans, 伊藤 三郎 reviews for IT.
  await api("POST", "/api/org/departments.json", { code: "somu", name: "総務課" });
  await api("POST", "/api/org/departments.json", { code: "kikaku", name: "企画課" });
  await api("POST", "/api/org/users.json", { code: "yamada", name: "山田 太郎", password: YAMADA[1], mustChangePassword: false });
  await api("POST", "/api/org/users.json", { code: "sato", name: "佐藤 一郎", password: "sato-password-1", mustChangePassword: false });
  await api("POST", "/api/org/users.json", { code: "ito", name: "伊藤 三郎", password: ITO[1], mustChangePassword: false });
  await api("PUT", "/api/org/memberships.json", { user: "yamada", departments: ["somu"], primaryDepartment: "somu" });
  await api("POST", "/api/org/groups.json", { code: "it-reviewers", name: "情報政策課" });
  await api("PUT", "/api/org/memberships.json", { user: "ito", groups: ["it-reviewers"] });
  // Only administrators create apps by default: 総務課 builds its own.
  await api("PUT", "/api/admin/app-creation.json", { mode: "listed", departments: ["somu"] });

  // Before any policy, yamada builds 備品貸出管理 with a loan workflow and publishes it.
  const yamada = await signIn(...YAMADA);
  await yamada.fill("[data-testid=new-app-name]", "備品貸出管理");
  await Promise.all([yamada.waitForURL(/\/apps\/\d+\/settings/), yamada.click("[data-testid=create-blank]")]);
  const appId = yamada.url().match(/apps\/(\d+)/)[1];
  const states = (approvers) => ({
    "申請中": { index: "0", assignee: { type: "ONE", entities: [{ entity: { type: "CREATOR" } }] } },
    "承認待ち": { index: "1", assignee: { type: "ONE", entities: approvers } },
    "貸出中": { index: "2", assignee: { type: "ONE", entities: [] } },
  });
  const actions = [{ name: "申請する", from: "申請中", to: "承認待ち" }, { name: "承認する", from: "承認待ち", to: "貸出中" }];
  await api("PUT", "/k/v1/preview/app/status.json", { app: appId, enable: true, states: states([]), actions }, as(...YAMADA));
  await api("POST", "/k/v1/preview/app/deploy.json", { apps: [{ app: appId }] }, as(...YAMADA));

  // The administrator requires review for the apps of 総務課, on the admin page.
  const adm = await signedInPage(browser, server.baseUrl);
  await adm.goto(server.baseUrl + "/admin");
  await Promise.all([adm.waitForURL(/\/admin\/review$/), adm.click("[data-testid=admin-review-link]")]);
  assert.equal(await adm.isChecked("[data-testid=policy-off]"), true);
  assert.equal(await adm.isDisabled("[data-testid=policy-dept-somu]"), true, "departments apply only to that mode");
  await adm.check("[data-testid=policy-departments]");
  await adm.check("[data-testid=policy-dept-somu]");
  await adm.click("[data-testid=policy-save]");
  await adm.waitForSelector("[data-testid=policy-message].ok");
  assert.match(await adm.textContent("[data-testid=policy-message]"), /総務課/);
  const policy = await api("GET", "/api/review/policy.json");
  assert.deepEqual(policy, { mode: "departments", departments: [{ code: "somu", name: "総務課" }] });
  await adm.reload();
  assert.equal(await adm.isChecked("[data-testid=policy-dept-somu]"), true);
  assert.equal(await adm.isChecked("[data-testid=policy-dept-kikaku]"), false);
  await shoot(adm, "policy");
  assert.deepEqual(adm.problems, []);

  // yamada names 佐藤 一郎 as the approver and adds a field, then tries to publish: it waits.
  await api("PUT", "/k/v1/preview/app/status.json", { app: appId, states: states([{ entity: { type: "USER", code: "sato" } }]), actions }, as(...YAMADA));
  await yamada.goto(`${server.baseUrl}/apps/${appId}/settings`);
  await yamada.waitForSelector("[data-testid=canvas]");
  await yamada.dragAndDrop("[data-testid=palette-DATE]", "[data-testid=canvas]");
  await yamada.click("[data-testid=publish]");
  await yamada.waitForSelector("[data-testid=review-blocked-link]", { timeout: 20000 });
  const blocked = await yamada.evaluate(() => document.querySelector("[data-testid=review-blocked-link]").parentElement.textContent);
  assert.match(blocked, /審査が必要/);
  await Promise.all([yamada.waitForURL(/\/review$/), yamada.click("[data-testid=review-blocked-link]")]);
  await yamada.waitForSelector("[data-testid=review-requirement]");
  assert.match(await yamada.textContent("[data-testid=review-requirement]"), /審査ポリシー/);
  await yamada.fill("[data-testid=review-comment]", "貸出日の欄と承認者を追加しました。");
  await yamada.click("[data-testid=submit-review]");
  await yamada.waitForSelector("[data-testid=review-state] [data-testid=state-PENDING]");
  const live = await api("GET", `/k/v1/app/form/fields.json?app=${appId}`);
  assert.ok(!Object.values(live.properties).some((p) => p.type === "DATE"), "nothing live before the approval");
  assert.equal(await yamada.isVisible("[data-testid=review-count]"), false, "a department user has no queue");
  assert.deepEqual(yamada.problems, []);

  // The reviewer sees the count in the header and opens the queue.
  const ito = await signIn(...ITO);
  assert.equal((await ito.textContent("[data-testid=review-count]")).trim(), "1");
  await Promise.all([ito.waitForURL(/\/review$/), ito.click("[data-testid=nav-review]")]);
  const item = `[data-testid=queue-item-${appId}]`;
  await ito.waitForSelector(item);
  assert.equal((await ito.textContent(`[data-testid=queue-submitter-${appId}]`)).trim(), "山田 太郎");
  assert.match(await ito.textContent(`[data-testid=queue-summary-${appId}]`), /フィールド 1件.*プロセス管理 1件/);
  const queuedAt = (await ito.textContent(`[data-testid=queue-time-${appId}]`)).trim();
  await shoot(ito, "queue");

  // The review page: sentences, the side-by-side settings, the diagram with names.
  await Promise.all([ito.waitForURL(new RegExp(`/apps/${appId}/review$`)), ito.click(`[data-testid=queue-open-${appId}]`)]);
  await ito.waitForSelector("[data-testid=review-diff] [data-testid=diff-sentence]");
  const sentences = await ito.$$eval("[data-testid=review-diff] [data-testid=diff-sentence]", (els) => els.map((e) => e.textContent));
  assert.ok(sentences.includes("ステータス『承認待ち』の作業者に 佐藤 一郎 を追加"), sentences.join("\n"));
  assert.ok(sentences.some((s) => /^フィールド『.+』（日付）を追加$/.test(s)), sentences.join("\n"));
  assert.ok(!sentences.some((s) => s.includes("sato")), "people by name, not login");
  await ito.waitForFunction(() => {
    const img = document.querySelector("[data-testid=review-diagram]");
    return img && img.complete && img.naturalWidth > 0;
  });
  const svg = await ito.evaluate(async (app) => (await fetch(`/api/app/diagram.svg?app=${app}&stage=preview&lang=ja`)).text(), appId);
  assert.ok(svg.includes("佐藤 一郎"), "the approver by name in the diagram");
  assert.ok(!svg.includes("…"), "nothing cut in the diagram");
  // The submission time is in the user's zone (Asia/Tokyo), not the browser's (UTC).
  const subs = await api("GET", `/api/app/review/submissions.json?app=${appId}`);
  const expected = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(subs.submissions[0].submittedAt));
  assert.match(await ito.textContent("[data-testid=review-history]"), new RegExp(expected.replace(/\//g, "\\/")));
  assert.equal(queuedAt, expected, "the queue and the review page agree on the time");
  await shoot(ito, "review");
  await ito.fill("[data-testid=decision-comment]", "承認者と貸出日を確認しました。");
  await ito.click("[data-testid=approve]");
  await ito.waitForSelector("[data-testid=review-state] [data-testid=state-APPROVED]");
  await ito.goto(server.baseUrl + "/review");
  await ito.waitForSelector("[data-testid=queue-empty]");
  assert.equal(await ito.isVisible("[data-testid=review-count]"), false, "nothing left to review");
  assert.deepEqual(ito.problems, []);

  // The builder publishes the approved settings.
  await yamada.goto(`${server.baseUrl}/apps/${appId}/review`);
  await yamada.waitForSelector("[data-testid=deploy-approved]:visible");
  await yamada.click("[data-testid=deploy-approved]");
  await yamada.waitForSelector("[data-testid=review-message] [data-testid=open-app]", { timeout: 20000 });
  const after = await api("GET", `/k/v1/app/form/fields.json?app=${appId}`);
  assert.ok(Object.values(after.properties).some((p) => p.type === "DATE"), "the approved field is live");
  const status = await api("GET", `/k/v1/app/status.json?app=${appId}`);
  assert.equal(status.states["承認待ち"].assignee.entities[0].entity.code, "sato");
  assert.deepEqual(yamada.problems, []);
  const audit = await api("GET", "/api/audit.json?action=review.policy.update");
  assert.equal(audit.entries.length, 1);
});
