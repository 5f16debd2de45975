// Issue 13, guests: an administrator adds a guest on /admin/guests; the guest signs in with its
// e-mail address on the normal sign-in page, lands on the guest portal, sees only its guest space
// and that space's app, and the app's record page (whose scripts call /k/guest/<id>/v1/) works.
// The guest space is made directly in the database: the space pages are another part of issue 13.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

const SHOTS = process.env.KUMIKI_SHOTS || "/tmp/kumiki-shots";
const SPACE = 501;
const GUEST = "suzuki@b-town.example";
const GUEST_PW = "suzuki-Passw0rd-1";
let server, browser;
before(async () => { mkdirSync(SHOTS, { recursive: true }); server = await startServer({ examples: false }); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

function sql(statement) {
  if (server.databaseUrl.startsWith("postgres")) execFileSync("psql", [server.databaseUrl, "-qAtc", statement]);
  else execFileSync("sqlite3", ["-cmd", ".timeout 10000", server.databaseUrl, statement]);
}

async function api(method, path, body) {
  const res = await fetch(server.baseUrl + path, {
    method,
    headers: { "Content-Type": "application/json", "X-Cybozu-Authorization": Buffer.from(`Administrator:${ADMIN_PASSWORD}`).toString("base64") },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

async function appWithRecord(name, text) {
  const { app } = await api("POST", "/k/v1/preview/app.json", { name });
  await api("POST", "/k/v1/preview/app/form/fields.json", { app, properties: { Name: { type: "SINGLE_LINE_TEXT", code: "Name", label: "氏名" } } });
  await api("POST", "/k/v1/preview/app/deploy.json", { apps: [{ app }] });
  for (let i = 0; i < 50; i++) {
    const s = await api("GET", `/k/v1/preview/app/deploy.json?apps[0]=${app}`);
    if (s.apps[0].status !== "PROCESSING") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const { id } = await api("POST", "/k/v1/record.json", { app, record: { Name: { value: text } } });
  return { app, id };
}

test("an administrator adds a guest; the guest signs in and sees only its guest space", async () => {
  const admin = await signedInPage(browser, server.baseUrl);
  await admin.click("[data-testid=nav-admin]");
  await admin.click("[data-testid=admin-guests-link]");
  await admin.waitForSelector("[data-testid=admin-guests-none]");
  await admin.fill("[data-testid=guest-code]", GUEST);
  await admin.fill("[data-testid=guest-name]", "鈴木 花子");
  await admin.fill("[data-testid=guest-password]", GUEST_PW);
  await admin.fill("[data-testid=guest-company]", "B町");
  await Promise.all([admin.waitForEvent("load"), admin.click("[data-testid=guest-add-submit]")]);
  const row = admin.locator("[data-testid=guest-row]", { hasText: GUEST });
  assert.match(await row.textContent(), /B町/);
  await admin.screenshot({ path: `${SHOTS}/guests-admin.png`, fullPage: true });
  // A bad address is refused in the form, nothing added.
  await admin.fill("[data-testid=guest-code]", "not-an-address");
  await admin.fill("[data-testid=guest-name]", "x");
  await admin.fill("[data-testid=guest-password]", GUEST_PW);
  await admin.evaluate(() => { document.querySelector("[data-testid=guest-code]").type = "text"; });
  await admin.click("[data-testid=guest-add-submit]");
  await admin.waitForSelector("[data-testid=guest-add] [data-role=status]:not(:empty)");
  assert.deepEqual(admin.problems.filter((p) => !/request failed/.test(p)), []);

  // The guest space with its roster app, and a host app the guest must never see.
  const roster = await appWithRecord("B町名簿", "鈴木 花子（B町）");
  const host = await appWithRecord("庁内台帳", "庁内の秘密");
  sql(`INSERT INTO spaces (id, name, is_guest, created_at) VALUES (${SPACE}, 'B町協議室', TRUE, 0)`);
  sql(`INSERT INTO space_members (space_id, entity_type, code, is_admin, include_subs) VALUES (${SPACE}, 'USER', 'Administrator', TRUE, FALSE)`);
  sql(`UPDATE apps SET space_id = ${SPACE} WHERE id = ${roster.app}`);
  await api("PUT", `/k/guest/${SPACE}/v1/space/guests.json`, { id: SPACE, guests: [GUEST] });
  await api("PUT", `/k/guest/${SPACE}/v1/preview/app/acl.json`, { app: roster.app, rights: [
    { entity: { type: "USER", code: "Administrator" }, appEditable: true, recordViewable: true, recordAddable: true, recordEditable: true, recordDeletable: true },
    { entity: { type: "USER", code: GUEST }, recordViewable: true, recordAddable: true, recordEditable: true },
  ] });
  await api("POST", `/k/guest/${SPACE}/v1/preview/app/deploy.json`, { apps: [{ app: roster.app }] });
  await new Promise((r) => setTimeout(r, 1000));

  for (const [width, height, name] of [[1280, 900, "desktop"], [390, 844, "phone"]]) {
    const context = await browser.newContext({ viewport: { width, height }, locale: "ja-JP" });
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push("page error: " + e.message));
    page.on("response", (r) => { if (r.status() >= 400 && !r.url().includes("/apps/" + host.app)) problems.push(`${r.status()} ${r.url()}`); });
    await page.goto(server.baseUrl + "/login");
    await page.fill("input[name=login]", GUEST);
    await page.fill("input[name=password]", GUEST_PW);
    await Promise.all([page.waitForURL(server.baseUrl + "/guest"), page.click("form[action='/login'] button[type=submit]")]);
    const text = await page.textContent("main");
    assert.match(text, /B町協議室/);
    assert.match(text, /B町名簿/);
    assert.doesNotMatch(text, /庁内台帳/);
    assert.equal(await page.locator("[data-testid=nav-admin]").count(), 0);
    await page.screenshot({ path: `${SHOTS}/guests-portal-${name}.png`, fullPage: true });
    // The roster's list page loads its records through the guest path.
    await page.click(`a[href='/apps/${roster.app}']`);
    await page.waitForSelector(`text=鈴木 花子（B町）`);
    await page.screenshot({ path: `${SHOTS}/guests-roster-${name}.png`, fullPage: true });
    // The host app is not found for the guest.
    const resp = await page.goto(`${server.baseUrl}/apps/${host.app}`);
    assert.equal(resp.status(), 404);
    assert.doesNotMatch(await page.textContent("main"), /庁内の秘密/);
    assert.deepEqual(problems, []);
    await context.close();
  }
});
