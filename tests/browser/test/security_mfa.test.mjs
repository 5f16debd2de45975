// Two-step verification in Chromium: a forced password change at first sign-in, enrolment with the
// QR code and the typed key, the recovery codes, and signing in with a TOTP code computed here with
// node's crypto (RFC 6238, HMAC-SHA-1, 30 s, 6 digits).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdirSync } from "node:fs";
import { startServer, launchBrowser, signedInPage, submitAndLoad } from "../lib.mjs";

const SHOTS = process.env.KUMIKI_SHOTS || "/tmp/kumiki-shots";
let server, browser;
before(async () => { server = await startServer({ examples: false }); browser = await launchBrowser(); mkdirSync(SHOTS, { recursive: true }); });
after(async () => { await browser?.close(); await server?.stop(); });

function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0;
  const out = [];
  for (const c of text.replace(/[\s=]/g, "").toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) { bits -= 8; out.push((value >>> bits) & 0xff); }
  }
  return Buffer.from(out);
}

function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const offset = mac[19] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, "0");
}

/** The current step, waiting when it ends within 5 s (the codes of step-1..step+1 stay valid). */
async function freshStep() {
  if (Math.floor(Date.now() / 1000) % 30 >= 25) await new Promise((r) => setTimeout(r, 6000));
  return Math.floor(Date.now() / 1000 / 30);
}

test("a new user changes the password, enrols an authenticator and signs in with a code", async () => {
  const admin = await signedInPage(browser, server.baseUrl);
  const csrf = await admin.inputValue("input[name=_csrf]");
  const made = await admin.evaluate(async ([token]) => {
    const r = await fetch("/api/org/users.json", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ code: "yamada", name: "山田 花子", password: "initial-pass-1" }),
    });
    return r.status;
  }, [csrf]);
  assert.equal(made, 200);

  const context = await browser.newContext({ locale: "ja-JP", viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("request", (r) => { if (!r.url().startsWith(server.baseUrl) && !r.url().startsWith("data:")) problems.push("outside request: " + r.url()); });
  await page.goto(server.baseUrl + "/login");
  await page.fill("input[name=login]", "yamada");
  await page.fill("input[name=password]", "initial-pass-1");
  await Promise.all([page.waitForURL(/\/account\/password/), page.click("form[action='/login'] button[type=submit]")]);
  assert.ok(await page.isVisible("[data-testid=forced-change]"));

  // Keyboard only: the policy message stands beside the field.
  await page.focus("input[name=current]");
  await page.keyboard.type("initial-pass-1");
  await page.keyboard.press("Tab");
  await page.keyboard.type("short");
  await page.keyboard.press("Tab");
  await page.keyboard.type("short");
  await submitAndLoad(page, () => page.keyboard.press("Enter"));
  assert.match(await page.textContent("#err-new"), /8文字以上/);
  await page.screenshot({ path: `${SHOTS}/security-password-forced.png`, fullPage: true });
  await page.fill("input[name=current]", "initial-pass-1");
  await page.fill("input[name=new]", "やまだの長いパスフレーズ");
  await page.fill("input[name=confirm]", "やまだの長いパスフレーズ");
  await Promise.all([page.waitForURL(server.baseUrl + "/"), page.click("form[action='/account/password'] button[type=submit]")]);

  await page.goto(server.baseUrl + "/account/security");
  await submitAndLoad(page, () => page.click("form[action='/account/totp/start'] button"));
  const qr = await page.getAttribute("[data-testid=totp-qr]", "src");
  assert.match(qr, /^data:image\/svg\+xml;base64,/, "the QR code is drawn by the server");
  const secret = (await page.textContent("[data-testid=totp-secret]")).replace(/\s/g, "");
  await page.screenshot({ path: `${SHOTS}/security-totp-enrol.png`, fullPage: true });
  const step = await freshStep();
  // The current step's code (the window step-1..step+1 is tested in tests/it/security_mfa.rs): a slow
  // submit under CI's parallel lanes must not push it out of the window.
  await page.fill("#totp-confirm-code", totp(secret, step));
  await submitAndLoad(page, () => page.click("form[action='/account/totp/confirm'] button"));
  const codes = await page.locator("[data-testid=recovery-codes] code").allTextContents();
  assert.equal(codes.length, 10);
  assert.ok(await page.isVisible("[data-testid=totp-on]"));
  await page.screenshot({ path: `${SHOTS}/security-recovery-codes.png`, fullPage: true });

  await Promise.all([page.waitForURL(/\/login/), page.click("text=ログアウト")]);
  await page.fill("input[name=login]", "yamada");
  await page.fill("input[name=password]", "やまだの長いパスフレーズ");
  await Promise.all([page.waitForSelector("#login-code"), page.click("form[action='/login'] button[type=submit]")]);
  // A wrong code: the message stands beside the field.
  await page.fill("#login-code", "000000");
  await submitAndLoad(page, () => page.click("form[action='/login/code'] button"));
  assert.match(await page.textContent("#login-code-error"), /正しくない/);
  await page.screenshot({ path: `${SHOTS}/security-login-code.png`, fullPage: true });
  // The enrolment spent this step's code; the next step's is inside the window and not yet used.
  await page.fill("#login-code", totp(secret, step + 1));
  await Promise.all([page.waitForURL(server.baseUrl + "/"), page.click("form[action='/login/code'] button")]);
  assert.match(await page.title(), /ポータル/);
  assert.deepEqual(problems, []);

  await admin.goto(server.baseUrl + "/admin/security");
  assert.ok(await admin.isVisible("[data-testid=reset-totp-yamada]"));
  await admin.screenshot({ path: `${SHOTS}/security-admin.png`, fullPage: true });
  await context.close();
});
