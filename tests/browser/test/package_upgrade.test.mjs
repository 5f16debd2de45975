// Issue 17 part 3: upgrading an installed package from the portal. Version 1 of 備品台帳 is exported
// with an identity and imported (the installed copy gets a record and a local label change), then
// version 2 (the same label changed differently, a new field) is uploaded on the portal: the
// preview shows the 「更新」 section with the diff and the warning that the local change is
// overwritten; 「更新する」 upgrades the installed app in place, keeping its record.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser, v2File, installed;
const backend = process.env.KUMIKI_BACKEND || "sqlite";
const admin = { "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" };
async function api(method, path, body) {
  const r = await fetch(server.baseUrl + path, { method, headers: admin, body: body ? JSON.stringify(body) : undefined });
  const json = await r.json();
  assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}
const text = (code, label = code) => ({ type: "SINGLE_LINE_TEXT", code, label });
async function deploy(app) {
  await api("POST", "/k/v1/preview/app/deploy.json", { apps: [{ app }] });
}
async function relabel(app, code, label) {
  await api("PUT", "/k/v1/preview/app/form/fields.json", { app, properties: { [code]: text(code, label) } });
  await deploy(app);
}

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
  // The package's source app (on the same server: exporting does not install anything).
  const { app: source } = await api("POST", "/k/v1/preview/app.json", { name: "備品台帳" });
  await api("POST", "/k/v1/preview/app/form/fields.json", { app: source, properties: { 品名: text("品名"), 場所: text("場所") } });
  await deploy(source);
  const v1 = await api("POST", "/api/packages/export.json", { apps: [source], packageId: "bihin", version: "1" });
  const done = await api("POST", "/api/packages/import.json", { package: v1 });
  installed = Number(done.apps[0].app);
  await api("POST", "/k/v1/record.json", { app: installed, record: { 品名: { value: "机" }, 場所: { value: "2階" } } });
  await relabel(installed, "場所", "保管場所");
  await relabel(source, "場所", "設置場所");
  await api("POST", "/k/v1/preview/app/form/fields.json", { app: source, properties: { 備考: text("備考") } });
  await deploy(source);
  const v2 = await api("POST", "/api/packages/export.json", { apps: [source], packageId: "bihin", version: "2" });
  v2File = join(mkdtempSync(join(tmpdir(), "kb-upg-")), "備品台帳-v2.json");
  writeFileSync(v2File, JSON.stringify(v2));
});
after(async () => { await browser?.close(); await server?.stop(); });

test("the preview shows the upgrade and 「更新する」 upgrades the installed app", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(server.baseUrl + "/");
  await page.setInputFiles("[data-testid=portal-import-file]", v2File);
  await Promise.all([page.waitForURL(/\/apps\/import\/preview$/), page.click("[data-testid=portal-import-submit]")]);
  await page.waitForSelector("[data-testid=pkgimport-upgrade]");
  assert.match(await page.textContent("[data-testid=pkgimport-upgrade-versions]"), /bihin: 1 → 2/);
  assert.equal(await page.textContent("h2 >> nth=0"), "パッケージのアプリ");
  const app = await page.textContent("[data-testid=pkgimport-upgrade-app] h3");
  assert.ok(app.includes("備品台帳") && app.includes(`#${installed}`), app);
  const warning = await page.textContent("[data-testid=pkgimport-local-changes]");
  assert.ok(warning.includes("上書きされます") && warning.includes("フィールド『保管場所』"), warning);
  const diff = await page.textContent("[data-testid=pkgimport-upgrade-app]");
  assert.ok(diff.includes("備考") && diff.includes("設置場所"), diff);
  assert.equal(await page.textContent("[data-testid=pkgimport-submit]"), "更新する");
  assert.equal(await page.locator("[data-testid=pkgimport-problems]").count(), 0);
  await page.screenshot({ path: `/tmp/package-upgrade-preview-${backend}.png`, fullPage: true });

  const appsBefore = (await api("GET", "/k/v1/apps.json")).apps.length;
  await Promise.all([page.waitForURL(new RegExp(`/apps/${installed}$`)), page.click("[data-testid=pkgimport-submit]")]);
  await page.screenshot({ path: `/tmp/package-upgrade-done-${backend}.png`, fullPage: true });
  const fields = await api("GET", `/k/v1/app/form/fields.json?app=${installed}`);
  assert.equal(fields.properties.場所.label, "設置場所");
  assert.ok(fields.properties.備考, JSON.stringify(fields));
  const records = await api("GET", `/k/v1/records.json?app=${installed}`);
  assert.equal(records.records.length, 1);
  assert.equal(records.records[0].場所.value, "2階");
  assert.equal((await api("GET", "/k/v1/apps.json")).apps.length, appsBefore, "no new app");

  // The same file again: the page says this version is installed and offers no button.
  await page.goto(server.baseUrl + "/");
  await page.setInputFiles("[data-testid=portal-import-file]", v2File);
  await Promise.all([page.waitForURL(/\/apps\/import\/preview$/), page.click("[data-testid=portal-import-submit]")]);
  assert.match(await page.textContent("[data-testid=pkgimport-problems]"), /版 2 はすでに読み込まれています/);
  assert.equal(await page.locator("[data-testid=pkgimport-submit]").count(), 0);
  assert.equal(await page.locator("[data-testid=pkgimport-upgrade]").count(), 0, "nothing offered to upgrade");
  assert.equal(await page.textContent("h2 >> nth=0"), "パッケージのアプリ");
  await page.screenshot({ path: `/tmp/package-upgrade-same-${backend}.png`, fullPage: true });
  assert.deepEqual(page.problems, []);
});
