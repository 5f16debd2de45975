// The template gallery in the browser (issue 17 part 5): from the portal go to 「テンプレートから作成」,
// open the 会議室予約 template's preview, create the app with its sample records in one click, and add
// a record in the new app's form; then 備品貸出, whose role is mapped in the import preview by a staff
// member, goes through IT review and takes a record. Also the gallery at phone width. Screenshots in /tmp/gallery-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

test("a template from the gallery becomes an app that takes a record", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/`);
  await page.click("[data-testid=portal-gallery-link]");
  await page.waitForSelector("[data-testid=gallery-list]");
  assert.ok(await page.locator("[data-testid=gallery-list] .gallery-card").count() >= 15);
  await page.screenshot({ path: "/tmp/gallery-list-1280.png", fullPage: true });

  await page.click("[data-testid=gallery-card-room-bookings] .gallery-link");
  await page.waitForSelector("[data-testid=gallery-detail-name]");
  assert.equal(await page.textContent("[data-testid=gallery-detail-name]"), "会議室予約");
  assert.equal(await page.locator("[data-testid=gallery-samples] tbody tr").count(), 5);
  await page.screenshot({ path: "/tmp/gallery-detail-1280.png", fullPage: true });

  // No role to map: one click creates the app with its sample records.
  await page.click("[data-testid=gallery-create]");
  await page.waitForURL(/\/apps\/\d+$/);
  const appUrl = page.url();
  await page.screenshot({ path: "/tmp/gallery-app-1280.png" });

  await page.goto(`${appUrl}/records/new`);
  // Before every sample booking, so that the list (利用日 ascending) shows it on its first page.
  await page.fill("[data-testid=field-利用日]", "2026-10-30");
  await page.fill("[data-testid=field-開始時刻]", "10:00");
  await page.fill("[data-testid=field-終了時刻]", "11:00");
  await page.selectOption("[data-testid=field-会議室]", "大会議室");
  await page.fill("[data-testid=field-会議名]", "試験の打合せ");
  await page.fill("[data-testid=field-予約者]", "試験 太郎");
  await page.selectOption("[data-testid=field-所属課]", "総務課");
  await page.click("[data-testid=save-record]");
  await page.waitForSelector("[data-testid=saved-message]");
  await page.screenshot({ path: "/tmp/gallery-record-1280.png", fullPage: true });

  await page.goto(appUrl);
  await page.waitForSelector("text=試験の打合せ");
  assert.deepEqual(page.problems, []);
  await page.close();
});

// Issue 17's done-when: pick a template, preview, map a role, import, approve in review, add a record.
test("a template with a role: preview, map the role, import, approve in review, add a record", async () => {
  const admin = { "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" };
  const api = async (method, path, body) => {
    const r = await fetch(server.baseUrl + path, { method, headers: admin, body: body ? JSON.stringify(body) : undefined });
    const json = await r.json();
    assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
    return json;
  };
  await api("POST", "/api/org/departments.json", { code: "zaisan", name: "財産管理課" });
  await api("POST", "/api/org/users.json", { code: "kanda", name: "神田 一郎", password: "kanda-password-1", mustChangePassword: false });
  await api("PUT", "/api/org/memberships.json", { user: "kanda", departments: ["zaisan"] });
  await api("PUT", "/api/admin/app-creation.json", { mode: "everyone" });
  await api("PUT", "/api/review/policy.json", { mode: "all" });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ja-JP" });
  const staff = await context.newPage();
  await staff.goto(server.baseUrl + "/login");
  await staff.fill("input[name=login]", "kanda");
  await staff.fill("input[name=password]", "kanda-password-1");
  await Promise.all([staff.waitForURL(server.baseUrl + "/"), staff.click("form[action='/login'] button[type=submit]")]);

  await staff.goto(`${server.baseUrl}/gallery/equipment-loans`);
  assert.match(await staff.textContent("[data-testid=gallery-roles]"), /管財担当/);
  await staff.screenshot({ path: "/tmp/gallery-roles-detail-1280.png", fullPage: true });
  await Promise.all([staff.waitForURL(/\/gallery\/equipment-loans\/import$/), staff.click("[data-testid=gallery-check-create]")]);
  await staff.waitForSelector("[data-testid=pkgimport-roles]");
  const rows = await staff.$$eval("[data-testid=pkgimport-app]", (els) => els.map((e) => e.textContent));
  assert.equal(rows.length, 1);
  assert.ok(rows[0].includes("備品貸出"), rows[0]);
  assert.match(await staff.textContent("[data-testid=pkgimport-role]"), /管財担当/);
  assert.match(await staff.textContent("[data-testid=pkgimport-review]"), /審査の承認後に運用されます/);
  await staff.selectOption("[data-testid=pkgimport-map-0]", "zaisan");
  await staff.screenshot({ path: "/tmp/gallery-roles-preview-1280.png", fullPage: true });
  await Promise.all([staff.waitForURL(/\/apps\/\d+\/review$/), staff.click("[data-testid=pkgimport-submit]")]);
  const app = Number(staff.url().match(/apps\/(\d+)\/review$/)[1]);

  await staff.waitForSelector("[data-testid=submit-review]:visible");
  await staff.click("[data-testid=submit-review]");
  await staff.waitForSelector("[data-testid=review-state] [data-testid=state-PENDING]");
  const it = await signedInPage(browser, server.baseUrl);
  await it.goto(`${server.baseUrl}/apps/${app}/review`);
  await it.waitForSelector("[data-testid=review-decide]:visible");
  await it.click("[data-testid=approve]");
  await it.waitForSelector("[data-testid=review-state] [data-testid=state-APPROVED]");
  await it.click("[data-testid=deploy-approved]");
  await it.waitForSelector("[data-testid=review-message] [data-testid=open-app]", { timeout: 20000 });
  const acl = await api("GET", `/k/v1/app/acl.json?app=${app}`);
  assert.ok(acl.rights.some((r) => r.entity.type === "ORGANIZATION" && r.entity.code === "zaisan" && r.recordEditable), JSON.stringify(acl));

  await staff.goto(`${server.baseUrl}/apps/${app}/records/new`);
  await staff.waitForSelector("[data-testid=record-form]");
  await staff.fill("[data-testid=field-貸出番号]", "R8-貸-900");
  await staff.fill("[data-testid=field-申請者]", "神田 一郎");
  await staff.selectOption("[data-testid=field-所属課]", "総務課");
  await staff.selectOption("[data-testid=field-備品]", "プロジェクター");
  await staff.fill("[data-testid=field-数量]", "1");
  await staff.fill("[data-testid=field-貸出日]", "2026-12-10");
  await staff.fill("[data-testid=field-返却予定日]", "2026-12-11");
  await staff.click("[data-testid=save-record]");
  await staff.waitForSelector("[data-testid=saved-message]");
  // The role's department is the assignee of 申請: its member lends the item.
  const records = await api("GET", `/k/v1/records.json?app=${app}`);
  assert.equal(records.records.length, 1);
  assert.equal(records.records[0].ステータス?.value ?? records.records[0].Status?.value, "申請");
  await staff.screenshot({ path: "/tmp/gallery-roles-record-1280.png", fullPage: true });
  assert.deepEqual(staff.problems ?? [], []);
  assert.deepEqual(it.problems, []);
  await context.close();
});

test("the gallery is usable at phone width", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${server.baseUrl}/gallery`);
  await page.waitForSelector("[data-testid=gallery-list]");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling (${overflow}px)`);
  await page.screenshot({ path: "/tmp/gallery-list-390.png" });
  await page.goto(`${server.baseUrl}/gallery/security-self-check`);
  await page.waitForSelector("[data-testid=gallery-fields]");
  await page.screenshot({ path: "/tmp/gallery-detail-390.png", fullPage: true });
  await page.close();
});
