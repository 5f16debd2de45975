// Review before go-live (scenario 5): a department user changes an app that requires review in the
// designer; publishing is refused with a link to the review page, where they submit. An IT
// administrator opens the review page, reads the diff and the workflow diagram generated from the
// process settings, approves and publishes; the change is live.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser;
before(async () => { server = await startServer({ examples: false }); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const admin = { "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" };
async function api(method, path, body) {
  const r = await fetch(server.baseUrl + path, { method, headers: admin, body: body ? JSON.stringify(body) : undefined });
  const json = await r.json();
  assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
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

test("submit in the designer, review with the diagram, approve, live", async () => {
  // Only administrators create apps by default: department users are allowed here.
  await api("PUT", "/api/admin/app-creation.json", { mode: "everyone" });
  await api("POST", "/api/org/users.json", { code: "tanaka", name: "田中 花子", password: "tanaka-password-1", mustChangePassword: false });
  const staff = await signIn("tanaka", "tanaka-password-1");

  // The department user builds and publishes a first version (no review required yet).
  await staff.fill("[data-testid=new-app-name]", "住民相談受付");
  await Promise.all([staff.waitForURL(/\/apps\/\d+\/settings/), staff.click("[data-testid=create-blank]")]);
  const appId = staff.url().match(/apps\/(\d+)/)[1];
  await staff.waitForSelector("[data-testid=canvas]");
  await staff.dragAndDrop("[data-testid=palette-SINGLE_LINE_TEXT]", "[data-testid=canvas]");
  await staff.click("[data-testid=save]");
  await staff.waitForSelector("[data-testid=status][data-state=unpublished]", { timeout: 20000 });
  await staff.click("[data-testid=publish]");
  await staff.waitForSelector("[data-testid=status][data-state=published]", { timeout: 20000 });

  // IT requires review for this app; the pre-live settings also get a process with a branch.
  await api("PUT", "/k/v1/preview/app/settings.json", { app: appId, requireReview: true });
  await api("PUT", "/k/v1/preview/app/status.json", {
    app: appId, enable: true,
    states: { "受付": { index: "0" }, "審査中": { index: "1" }, "完了": { index: "2" } },
    actions: [
      { name: "審査へ", from: "受付", to: "審査中" },
      { name: "承認", from: "審査中", to: "完了" },
      { name: "差し戻し", from: "審査中", to: "受付" },
    ],
  });

  // The department user adds a field and publishes: refused, with the way to the review page.
  await staff.goto(`${server.baseUrl}/apps/${appId}/settings`);
  await staff.waitForSelector("[data-testid=canvas] [data-testid^=field-]");
  const gaps = await staff.$$("[data-testid^=canvas-gap-]");
  await staff.dragAndDrop("[data-testid=palette-NUMBER]", gaps.length ? `[data-testid=canvas-gap-${gaps.length - 1}]` : "[data-testid=canvas]");
  await staff.click("[data-testid=publish]");
  await staff.waitForSelector("[data-testid=review-blocked-link]", { timeout: 20000 });
  const before = await api("GET", `/k/v1/app/form/fields.json?app=${appId}`);
  assert.ok(!Object.values(before.properties).some((p) => p.type === "NUMBER"), "not live before review");
  await Promise.all([staff.waitForURL(/\/review$/), staff.click("[data-testid=review-blocked-link]")]);
  await staff.waitForSelector("[data-testid=submit-review]:visible");
  await staff.fill("[data-testid=review-comment]", "金額欄とプロセスを追加しました。");
  await staff.click("[data-testid=submit-review]");
  await staff.waitForSelector("[data-testid=review-state] [data-testid=state-PENDING]");
  assert.deepEqual(staff.problems, []);

  // IT reviews: the diff, the diagram (an SVG with the statuses), then approves and publishes.
  const it = await signedInPage(browser, server.baseUrl);
  await it.goto(`${server.baseUrl}/apps/${appId}/review`);
  await it.waitForSelector("[data-testid=review-diff] [data-testid=diff-sentence]");
  const sentences = await it.$$eval("[data-testid=review-diff] [data-testid=diff-sentence]", (els) => els.map((e) => e.textContent));
  assert.ok(sentences.some((s) => /^フィールド『.+』（数値）を追加$/.test(s)), sentences.join("\n"));
  assert.ok(sentences.includes("プロセス管理を有効にする"), sentences.join("\n"));
  assert.ok(sentences.includes("ステータス『審査中』を追加（作業者: 作成者（フィールド） から1人を選択）"), sentences.join("\n"));
  assert.ok(sentences.includes("アクション『差し戻し』（審査中 → 受付）を追加"), sentences.join("\n"));
  assert.ok(sentences.some((s) => s.startsWith("アプリの設定「公開前の審査を必須にする」を変更")), sentences.join("\n"));
  // The path-by-path list is folded away as 詳細.
  assert.equal(await it.isVisible("[data-testid=review-diff] [data-testid=diff-text]"), false);
  await it.waitForFunction(() => {
    const img = document.querySelector("[data-testid=review-diagram]");
    return img && img.complete && img.naturalWidth > 0;
  });
  const svg = await it.evaluate(async (app) => {
    const r = await fetch(`/api/app/diagram.svg?app=${app}&stage=preview`);
    return { type: r.headers.get("content-type"), text: await r.text() };
  }, appId);
  assert.match(svg.type, /^image\/svg\+xml/);
  for (const name of ["受付", "審査中", "完了", "審査へ", "差し戻し"]) assert.ok(svg.text.includes(name), `${name} in the diagram`);
  const href = await it.getAttribute("[data-testid=diagram-download]", "href");
  assert.match(href, /download=1/);
  await it.waitForSelector("[data-testid=review-decide]:visible");
  await it.fill("[data-testid=decision-comment]", "フロー図を確認しました。");
  await it.click("[data-testid=approve]");
  await it.waitForSelector("[data-testid=review-state] [data-testid=state-APPROVED]");
  await it.click("[data-testid=deploy-approved]");
  await it.waitForSelector("[data-testid=review-message] [data-testid=open-app]", { timeout: 20000 });
  assert.deepEqual(it.problems, []);

  const live = await api("GET", `/k/v1/app/form/fields.json?app=${appId}`);
  assert.ok(Object.values(live.properties).some((p) => p.type === "NUMBER"), "the approved field is live");
  const status = await api("GET", `/k/v1/app/status.json?app=${appId}`);
  assert.equal(status.enable, true);
  assert.deepEqual(Object.keys(status.states).sort(), ["受付", "完了", "審査中"].sort());
  const audit = await api("GET", "/api/audit.json?action=app.review.approve");
  assert.equal(audit.entries.length, 1);

  // The versions page lists both published versions.
  await it.goto(`${server.baseUrl}/apps/${appId}/versions`);
  await it.waitForSelector("[data-testid=version-2]");
  await it.click("[data-testid=compare-2]");
  await it.waitForSelector("[data-testid=versions-diff] [data-testid=diff-sentence]");
  const versionSentences = await it.$$eval("[data-testid=versions-diff] [data-testid=diff-sentence]", (els) => els.map((e) => e.textContent));
  assert.ok(versionSentences.some((s) => /（数値）を追加$/.test(s)), versionSentences.join("\n"));
  for (const width of [1280, 390]) {
    await it.setViewportSize({ width, height: 900 });
    await it.screenshot({ path: `/tmp/review-versions-${width}-${process.env.KUMIKI_BACKEND || "sqlite"}.png`, fullPage: true });
  }
  assert.deepEqual(it.problems, []);
});
