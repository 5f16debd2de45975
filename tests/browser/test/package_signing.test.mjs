// Signed app packages in the browser (issue 17 part 4, docs/packages.md): IT names the body on
// 管理 → 信頼する署名者, a bad key pasted is refused in Japanese, the app settings export a signed
// package, the portal's 「ファイルから作成」 shows 署名済み（未登録の鍵…）, then after IT trusts the key
// 署名済み（信頼済み…）, and for a package with one changed label 改ざんまたは署名不正 with the import
// button disabled.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, readFileSync } from "node:fs";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser, app;
async function api(method, path, body) {
  const headers = { "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" };
  const url = path.startsWith("/") ? server.baseUrl + path : server.baseUrl + "/k/v1/" + path;
  const r = await fetch(url, { method, headers, body: body && JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${JSON.stringify(j)}`);
  return j;
}

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
  ({ app } = await api("POST", "preview/app.json", { name: "備品管理" }));
  await api("POST", "preview/app/form/fields.json", { app, properties: {
    件名: { type: "SINGLE_LINE_TEXT", code: "件名", label: "件名" },
  } });
  await api("POST", "preview/app/deploy.json", { apps: [{ app }] });
  for (let i = 0; i < 50; i++) {
    const d = await api("GET", `preview/app/deploy.json?apps[0]=${app}`);
    if (d.apps[0].status !== "PROCESSING") break;
    await new Promise((r) => setTimeout(r, 100));
  }
});
after(async () => { await browser?.close(); await server?.stop(); });

async function chooseForImport(page, path) {
  await page.goto(server.baseUrl + "/");
  await page.setInputFiles("[data-testid=portal-import-file]", path);
  await page.waitForSelector("[data-testid=import-signature][data-status]");
  return page.textContent("[data-testid=import-signature]");
}

test("IT names the body, exports sign, the portal shows unknown, trusted and tampered", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(server.baseUrl + "/admin");
  await page.click("[data-testid=admin-package-trust-link]");
  await page.waitForSelector("[data-testid=trust-own-key]");
  assert.match(await page.inputValue("[data-testid=trust-own-key]"), /^ed25519:/);
  await page.fill("[data-testid=trust-own-name]", "長野市 情報政策課");
  await page.click("[data-testid=trust-save-name]");
  await page.waitForSelector("[data-testid=trust-message]:not([hidden])");
  assert.equal(await page.inputValue("[data-testid=trust-own-name]"), "長野市 情報政策課");
  // A bad key is refused with a Japanese message.
  await page.fill("[data-testid=trust-add-name]", "松本市");
  await page.fill("[data-testid=trust-add-key]", "これは鍵ではない");
  await page.click("[data-testid=trust-add-button]");
  await page.waitForSelector("[data-testid=trust-message].error");
  assert.match(await page.textContent("[data-testid=trust-message]"), /ed25519の公開鍵ではありません/);
  await page.screenshot({ path: "/tmp/package-trust-error.png", fullPage: true });

  // The app settings export a signed package.
  await page.goto(`${server.baseUrl}/apps/${app}/general`);
  await page.waitForSelector("[data-testid=package-export-button]");
  assert.equal(await page.isChecked("[data-testid=package-export-sign]"), true);
  await page.screenshot({ path: "/tmp/package-export.png", fullPage: true });
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("[data-testid=package-export-button]"),
  ]);
  const file = "/tmp/package-signed.json";
  await download.saveAs(file);
  const pkg = JSON.parse(readFileSync(file, "utf8"));
  assert.equal(pkg.signature.signer, "長野市 情報政策課");

  // Not yet trusted: unknown key, with name and fingerprint.
  let text = await chooseForImport(page, file);
  assert.match(text, /署名済み（未登録の鍵: 長野市 情報政策課・[0-9a-f:]{39}）/);
  assert.equal(await page.isDisabled("[data-testid=portal-import-submit]"), false);
  await page.screenshot({ path: "/tmp/package-import-unknown.png", fullPage: true });

  // IT adds the signer from the package file; then it is trusted.
  await page.goto(server.baseUrl + "/admin/package-trust");
  await page.setInputFiles("[data-testid=trust-package-file]", file);
  await page.click("[data-testid=trust-add-package-button]");
  await page.waitForSelector("[data-testid=trust-list]");
  assert.match(await page.textContent("[data-testid=trust-list]"), /長野市 情報政策課/);
  await page.screenshot({ path: "/tmp/package-trust-list.png", fullPage: true });
  text = await chooseForImport(page, file);
  assert.match(text, /署名済み（信頼済み: 長野市 情報政策課）/);
  await page.screenshot({ path: "/tmp/package-import-trusted.png", fullPage: true });
  // The preview page repeats the status; importing from it creates the app.
  await Promise.all([page.waitForURL(/\/apps\/import\/preview$/), page.click("[data-testid=portal-import-submit]")]);
  assert.equal(await page.getAttribute("[data-testid=pkgimport-signature]", "data-status"), "trusted");
  assert.match(await page.textContent("[data-testid=pkgimport-signature]"), /署名済み（信頼済み: 長野市 情報政策課）/);
  await page.screenshot({ path: "/tmp/package-import-preview-trusted.png", fullPage: true });
  await Promise.all([page.waitForURL(/\/apps\/\d+(\/review)?$/), page.click("[data-testid=pkgimport-submit]")]);

  // One changed label: tampered, the import button disabled.
  const tampered = "/tmp/package-tampered.json";
  writeFileSync(tampered, readFileSync(file, "utf8").replace("\"label\": \"件名\"", "\"label\": \"件各\""));
  text = await chooseForImport(page, tampered);
  assert.match(text, /改ざんまたは署名不正/);
  assert.equal(await page.isDisabled("[data-testid=portal-import-submit]"), true);
  await page.screenshot({ path: "/tmp/package-import-tampered.png", fullPage: true });
  await page.close();
});
