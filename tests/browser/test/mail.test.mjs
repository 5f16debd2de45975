// Notification mail (issue 13): a user chooses "each" on /account/notifications, with an address;
// the choice is saved and shown after a reload; a bad address is refused with a message. The
// administrators' /admin/mail page shows the SMTP settings. Screenshots in /tmp (desktop and phone).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { startServer, launchBrowser, signedInPage } from "../lib.mjs";

const BACKEND = process.env.KUMIKI_BACKEND || "sqlite";
let server, browser;

async function freePort() {
  return new Promise((ok) => { const s = createServer(); s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); }); });
}

before(async () => {
  // Mail is on (nothing listens on that port: no mail is sent by this test).
  const port = await freePort();
  server = await startServer({ examples: false, serveArgs: ["--smtp-url", `smtp://127.0.0.1:${port}`, "--smtp-from", "Kumiki <kumiki@example.jp>"] });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

test("a user chooses mail for each notification; it is saved and shown after a reload", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(server.baseUrl + "/settings");
  await Promise.all([page.waitForEvent("load"), page.click("[data-testid=prefs-mail-link]")]);
  assert.equal(new URL(page.url()).pathname, "/account/notifications");
  assert.equal(await page.isChecked("[data-testid=mail-mode-none]"), true, "none by default");
  assert.equal(await page.locator("[data-testid=mail-off]").count(), 0, "mail is on");

  // A bad address is refused and nothing is saved.
  await page.check("[data-testid=mail-mode-each]");
  await page.fill("[data-testid=mail-email]", "not an address");
  await page.click("[data-testid=mail-save]");
  await page.waitForSelector("[data-testid=mail-message].error");
  assert.match(await page.textContent("[data-testid=mail-message]"), /メールアドレスの形式/);

  await page.fill("[data-testid=mail-email]", "admin@example.jp");
  await page.click("[data-testid=mail-save]");
  await page.waitForSelector("[data-testid=mail-message]:not(.error):not([hidden])");
  assert.match(await page.textContent("[data-testid=mail-message]"), /保存しました/);

  await page.reload();
  assert.equal(await page.isChecked("[data-testid=mail-mode-each]"), true, "saved: each");
  assert.equal(await page.inputValue("[data-testid=mail-email]"), "admin@example.jp");
  assert.match(await page.textContent("[data-testid=mail-address]"), /admin@example\.jp/);
  await page.screenshot({ path: `/tmp/e2e-mail-account-${BACKEND}.png`, fullPage: true });

  // The daily digest at 07:00.
  await page.check("[data-testid=mail-mode-digest]");
  await page.selectOption("[data-testid=mail-hour]", "7");
  await page.click("[data-testid=mail-save]");
  await page.waitForSelector("[data-testid=mail-message]:not(.error):not([hidden])");
  await page.reload();
  assert.equal(await page.isChecked("[data-testid=mail-mode-digest]"), true);
  assert.equal(await page.inputValue("[data-testid=mail-hour]"), "7");

  await page.goto(server.baseUrl + "/admin/mail");
  assert.match(await page.textContent("[data-testid=mail-server]"), /^smtp:\/\/127\.0\.0\.1:\d+$/);
  await page.screenshot({ path: `/tmp/e2e-mail-admin-${BACKEND}.png`, fullPage: true });
  assert.deepEqual(page.problems, []);

  // Phone width (the page follows the user's language setting, Japanese here).
  const phone = await signedInPage(browser, server.baseUrl, { width: 375, height: 740, locale: "en-US" });
  await phone.goto(server.baseUrl + "/account/notifications");
  assert.equal(await phone.isChecked("[data-testid=mail-mode-digest]"), true);
  await phone.screenshot({ path: `/tmp/e2e-mail-account-phone-${BACKEND}.png`, fullPage: true });
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, "no horizontal scrolling at phone width");
  assert.deepEqual(phone.problems, []);
});
