// Administration pages: the department tree, memberships, a token shown once, the audit log.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage } from "../lib.mjs";

let server, browser;
before(async () => { server = await startServer({ examples: false }); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

async function submit(page, testid) {
  await Promise.all([page.waitForEvent("load"), page.click(`[data-testid=${testid}] button[type=submit]`)]);
}

test("build a department tree, place a user, issue a token, read the audit log", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.click("[data-testid=nav-admin]");
  await page.waitForSelector("[data-testid=admin-links]");

  await page.goto(server.baseUrl + "/admin/departments");
  for (const [code, name, parent] of [["city", "市役所", ""], ["soumu", "総務部", "city"], ["jinji", "人事課", "soumu"]]) {
    await page.fill("[data-testid=department-add] input[name=code]", code);
    await page.fill("[data-testid=department-add] input[name=name]", name);
    await page.selectOption("[data-testid=department-add] select[name=parentCode]", parent);
    await submit(page, "department-add");
  }
  const rows = await page.locator("[data-testid=admin-departments] tbody td:first-child").allTextContents();
  assert.deepEqual(rows, ["市役所", "総務部", "人事課"]);
  assert.equal(await page.getAttribute("[data-testid=admin-departments] tbody tr:nth-child(3) td", "class"), "admin-depth-2");
  // Moving the top department under its grandchild is refused and says so in the form.
  await page.selectOption("[data-testid=department-edit] select[name=code]", "city");
  assert.equal(await page.inputValue("[data-testid=department-edit] input[name=name]"), "市役所", "prefilled");
  await page.selectOption("[data-testid=department-edit] select[name=parentCode]", "jinji");
  await page.click("[data-testid=department-edit] button[type=submit]");
  await page.waitForSelector("[data-testid=department-edit] [data-role=status]:not(:empty)");

  await page.goto(server.baseUrl + "/admin/users");
  await page.fill("[data-testid=user-add] input[name=code]", "tanaka");
  await page.fill("[data-testid=user-add] input[name=name]", "田中");
  await page.fill("[data-testid=user-add] input[name=password]", "tanaka-password-1");
  await submit(page, "user-add");
  await page.selectOption("[data-testid=user-memberships] select[name=user]", "tanaka");
  await page.selectOption("[data-testid=user-memberships] select[name=departments]", ["jinji"]);
  await submit(page, "user-memberships");
  const tanaka = page.locator("[data-testid=admin-users] tr", { hasText: "tanaka" });
  assert.match(await tanaka.textContent(), /人事課/);

  await page.goto(server.baseUrl + "/admin/tokens");
  await page.selectOption("[data-testid=user-token-add] select[name=user]", "tanaka");
  await page.fill("[data-testid=user-token-add] input[name=name]", "集計スクリプト");
  await page.click("[data-testid=user-token-add] button[type=submit]");
  await page.waitForSelector("[data-testid=token-value]:not(:empty)");
  assert.match(await page.textContent("[data-testid=token-value]"), /^kmk_/);
  await Promise.all([page.waitForEvent("load"), page.click("[data-role=token-done]")]);
  assert.equal(await page.locator("[data-testid=token-value]").textContent(), "", "shown once");
  assert.match(await page.textContent("[data-testid=user-tokens]"), /集計スクリプト/);

  await page.goto(server.baseUrl + "/admin/audit");
  await page.selectOption("[data-testid=audit-filter] select[name=action]", "token.create");
  await Promise.all([page.waitForEvent("load"), page.click("[data-testid=audit-filter] button[type=submit]")]);
  const audit = await page.textContent("[data-testid=audit-table]");
  assert.match(audit, /user:tanaka/);
  assert.match(await page.getAttribute("[data-testid=audit-csv]", "href"), /^\/api\/audit\.csv\?action=token\.create/);
  const download = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=audit-csv]")]);
  assert.match(download[0].suggestedFilename(), /^audit-\d{8}\.csv$/);
  assert.deepEqual(page.problems, []);
});
