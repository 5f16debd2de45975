// Who may create apps (issue 12): an administrator opens app creation to one department on the
// admin page, in Japanese; the setting is kept and a screenshot is saved for review.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage } from "../lib.mjs";

let server, browser;
before(async () => { server = await startServer({ examples: false }); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test("an administrator lets one department create apps", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(server.baseUrl + "/admin/departments");
  await page.fill("[data-testid=department-add] input[name=code]", "somu");
  await page.fill("[data-testid=department-add] input[name=name]", "総務課");
  await Promise.all([page.waitForEvent("load"), page.click("[data-testid=department-add] button[type=submit]")]);

  await page.goto(server.baseUrl + "/admin");
  await Promise.all([page.waitForEvent("load"), page.click("[data-testid=admin-app-creation-link]")]);
  assert.match(await page.textContent("h1"), /アプリの作成を許可するユーザー/);
  assert.equal(await page.inputValue("[data-testid=app-creation-mode]"), "administrators", "the default");
  await page.selectOption("[data-testid=app-creation-mode]", "listed");
  await page.selectOption("[data-testid=app-creation] select[name=departments]", ["somu"]);
  await Promise.all([page.waitForEvent("load"), page.click("[data-testid=app-creation] button[type=submit]")]);
  assert.equal(await page.inputValue("[data-testid=app-creation-mode]"), "listed");
  assert.deepEqual(await page.$$eval("[data-testid=app-creation] select[name=departments] option:checked", (o) => o.map((x) => x.value)), ["somu"]);
  await page.screenshot({ path: `/tmp/e2e-security-rights-app-creation-${process.env.KUMIKI_BACKEND || "sqlite"}.png`, fullPage: true });
  assert.deepEqual(page.problems, []);
});
