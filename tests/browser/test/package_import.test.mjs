// Issue 17 part 2: importing a package from the portal with a preview. A two-app bundle (a customer
// master and consultations with a lookup into it, a department in the consultations' permissions)
// is exported through the API and uploaded on the portal; the preview lists the apps, the conflict
// (the same codes exist here) and the role, which is mapped to another local department; the new
// apps open and a record's lookup fetches. With a review policy on, the imported apps wait for
// review: the importer submits, IT approves and publishes, then a record is added.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser, bundleFile;
const backend = process.env.KUMIKI_BACKEND || "sqlite";
const admin = { "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" };
async function api(method, path, body) {
  const r = await fetch(server.baseUrl + path, { method, headers: admin, body: body ? JSON.stringify(body) : undefined });
  const json = await r.json();
  assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}
const text = (code) => ({ type: "SINGLE_LINE_TEXT", code, label: code });
async function newApp(name, code, properties) {
  const { app } = await api("POST", "/k/v1/preview/app.json", { name });
  await api("POST", "/k/v1/preview/app/form/fields.json", { app, properties });
  await api("PUT", "/k/v1/preview/app/settings.json", { app, code });
  return app;
}
async function deploy(app) {
  await api("POST", "/k/v1/preview/app/deploy.json", { apps: [{ app }] });
}

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
  await api("POST", "/api/org/departments.json", { code: "fukushi", name: "福祉課" });
  await api("POST", "/api/org/departments.json", { code: "kosodate", name: "子育て支援課" });
  const master = await newApp("顧客台帳", "CUST", { 顧客名: { ...text("顧客名"), unique: true, required: true }, 電話: text("電話") });
  await deploy(master);
  const consult = await newApp("相談記録", "CONS", {
    顧客: { ...text("顧客"), lookup: { relatedApp: { app: String(master) }, relatedKeyField: "顧客名", fieldMappings: [{ field: "電話", relatedField: "電話" }], lookupPickerFields: ["顧客名"] } },
    電話: text("電話"), 内容: text("内容"),
  });
  await api("PUT", "/k/v1/preview/app/acl.json", { app: consult, rights: [
    { entity: { type: "ORGANIZATION", code: "fukushi" }, includeSubs: true, recordViewable: true, recordAddable: true, recordEditable: true },
    { entity: { type: "CREATOR" }, appEditable: true, recordViewable: true, recordAddable: true, recordEditable: true, recordDeletable: true, recordImportable: true, recordExportable: true },
  ] });
  await deploy(consult);
  await api("POST", "/k/v1/record.json", { app: master, record: { 顧客名: { value: "山田" }, 電話: { value: "03-1111" } } });
  const bundle = await api("POST", "/api/packages/export.json", { apps: [master, consult], withRecords: true });
  bundleFile = join(mkdtempSync(join(tmpdir(), "kb-pkg-")), "相談セット.json");
  writeFileSync(bundleFile, JSON.stringify(bundle));
});
after(async () => { await browser?.close(); await server?.stop(); });

// The apps of a package are created in its order in one transaction: the consultations follow
// the master.
async function appName(id) {
  return (await api("GET", `/k/v1/preview/app/settings.json?app=${id}`)).name;
}

async function upload(page) {
  await page.goto(server.baseUrl + "/");
  await page.setInputFiles("[data-testid=portal-import-file]", bundleFile);
  await Promise.all([page.waitForURL(/\/apps\/import\/preview$/), page.click("[data-testid=portal-import-submit]")]);
  await page.waitForSelector("[data-testid=pkgimport-roles]");
}

/** Adds a consultation whose lookup fetches 山田's phone number. */
async function addConsultation(page, app) {
  await page.goto(`${server.baseUrl}/apps/${app}/records/new`);
  await page.waitForSelector("[data-testid=record-form]");
  await page.fill("[data-testid=field-顧客]", "山田");
  await page.click("[data-testid=lookup-get-顧客]");
  await page.waitForFunction(() => document.querySelector("[data-testid=field-電話]")?.value === "03-1111");
  await page.fill("[data-testid=field-内容]", "手当の相談");
  await page.click("[data-testid=save-record]");
  await page.waitForSelector("[data-testid=saved-message]");
  assert.match(await page.textContent("[data-testid=view-電話]"), /03-1111/);
}

test("preview, map a role, import, add a record whose lookup fetches", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await upload(page);
  const rows = await page.$$eval("[data-testid=pkgimport-app]", (els) => els.map((e) => e.textContent));
  assert.equal(rows.length, 2);
  assert.ok(rows[0].includes("顧客台帳") && rows[0].includes("CUST"), rows[0]);
  assert.ok(rows[1].includes("相談記録"), rows[1]);
  assert.equal(await page.locator("[data-testid=pkgimport-conflict]").count(), 2, "same codes exist here");
  const role = await page.textContent("[data-testid=pkgimport-role]");
  assert.ok(role.includes("福祉課") && role.includes("部署"), role);
  assert.equal(await page.inputValue("[data-testid=pkgimport-map-0]"), "fukushi", "prefilled from the suggestions");
  assert.equal(await page.isChecked("[data-testid=pkgimport-with-records]"), true);
  await page.screenshot({ path: `/tmp/package-import-preview-${backend}.png`, fullPage: true });

  // Unmapped: refused in Japanese on the same page, nothing created, the page still usable.
  const before = (await api("GET", "/k/v1/apps.json")).apps.length;
  await page.selectOption("[data-testid=pkgimport-map-0]", "");
  await page.click("[data-testid=pkgimport-submit]");
  await page.waitForSelector("[data-testid=pkgimport-error]");
  assert.match(await page.textContent("[data-testid=pkgimport-error]"), /割り当て先を選んでください.*福祉課/);
  assert.equal((await api("GET", "/k/v1/apps.json")).apps.length, before);
  await page.screenshot({ path: `/tmp/package-import-error-${backend}.png`, fullPage: true });

  // The filter narrows the list and picks the first match.
  await page.fill("[data-testid=pkgimport-filter-0]", "kosodate");
  assert.equal(await page.inputValue("[data-testid=pkgimport-map-0]"), "kosodate");
  await Promise.all([page.waitForURL(/\/apps\/\d+$/), page.click("[data-testid=pkgimport-submit]")]);
  const master = Number(page.url().match(/apps\/(\d+)$/)[1]);
  const consult = master + 1;
  assert.equal(await appName(consult), "相談記録");
  const acl = await api("GET", `/k/v1/app/acl.json?app=${consult}`);
  assert.ok(acl.rights.some((r) => r.entity.type === "ORGANIZATION" && r.entity.code === "kosodate"), JSON.stringify(acl));
  assert.ok(!acl.rights.some((r) => r.entity.code === "fukushi"));
  const field = await api("GET", `/k/v1/app/form/fields.json?app=${consult}`);
  assert.equal(field.properties.顧客.lookup.relatedApp.app, String(master), "the lookup names the new master");
  await addConsultation(page, consult);
  await page.screenshot({ path: `/tmp/package-import-record-${backend}.png`, fullPage: true });
  assert.deepEqual(page.problems, []);
});

test("with a review policy the imported apps wait for review; IT approves, then a record", async () => {
  await api("PUT", "/api/admin/app-creation.json", { mode: "everyone" });
  await api("POST", "/api/org/users.json", { code: "tanaka", name: "田中 花子", password: "tanaka-password-1", mustChangePassword: false });
  await api("PUT", "/api/review/policy.json", { mode: "all" });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ja-JP" });
  const staff = await context.newPage();
  await staff.goto(server.baseUrl + "/login");
  await staff.fill("input[name=login]", "tanaka");
  await staff.fill("input[name=password]", "tanaka-password-1");
  await Promise.all([staff.waitForURL(server.baseUrl + "/"), staff.click("form[action='/login'] button[type=submit]")]);

  await upload(staff);
  assert.match(await staff.textContent("[data-testid=pkgimport-review]"), /読み込んだアプリは審査の承認後に運用されます/);
  assert.equal(await staff.locator("[data-testid=pkgimport-with-records]").count(), 0, "no records with review");
  await staff.selectOption("[data-testid=pkgimport-map-0]", "kosodate");
  await staff.screenshot({ path: `/tmp/package-import-review-${backend}.png`, fullPage: true });
  await Promise.all([staff.waitForURL(/\/apps\/\d+\/review$/), staff.click("[data-testid=pkgimport-submit]")]);
  const master = Number(staff.url().match(/apps\/(\d+)\/review$/)[1]);
  const consult = master + 1;
  assert.equal(await appName(consult), "相談記録");
  await staff.screenshot({ path: `/tmp/package-import-waiting-${backend}.png`, fullPage: true });

  const it = await signedInPage(browser, server.baseUrl);
  for (const app of [master, consult]) {
    await staff.goto(`${server.baseUrl}/apps/${app}/review`);
    await staff.waitForSelector("[data-testid=submit-review]:visible");
    await staff.click("[data-testid=submit-review]");
    await staff.waitForSelector("[data-testid=review-state] [data-testid=state-PENDING]");
    await it.goto(`${server.baseUrl}/apps/${app}/review`);
    await it.waitForSelector("[data-testid=review-decide]:visible");
    await it.click("[data-testid=approve]");
    await it.waitForSelector("[data-testid=review-state] [data-testid=state-APPROVED]");
    await it.click("[data-testid=deploy-approved]");
    await it.waitForSelector("[data-testid=review-message] [data-testid=open-app]", { timeout: 20000 });
  }
  await api("POST", "/k/v1/record.json", { app: master, record: { 顧客名: { value: "山田" }, 電話: { value: "03-1111" } } });
  // The consultations' permissions give records to their creator (the importer) and 子育て支援課.
  await addConsultation(staff, consult);
  assert.deepEqual(it.problems, []);
});
