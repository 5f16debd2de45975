// Spaces in the browser (issue 13, spaces part): a user opens スペース from the header, creates a
// multi-thread space, writes its body (a script in it is removed), adds a colleague with the
// picker, adds a thread; the colleague sees the space with the body, the thread and themselves as
// a member; an outsider does not see the private space. Screenshots at desktop and phone width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, ADMIN_PASSWORD } from "../lib.mjs";

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

async function signIn(login, password, width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, locale: "ja-JP" });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("response", (r) => { if (r.status() >= 500) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on("dialog", (d) => d.accept());
  page.problems = problems;
  await page.goto(server.baseUrl + "/login");
  await page.fill("input[name=login]", login);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForURL(server.baseUrl + "/"), page.click("form[action='/login'] button[type=submit]")]);
  return page;
}

async function shoot(page, name) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `/tmp/spaces-${name}-${width}-${process.env.KUMIKI_BACKEND || "sqlite"}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

test("create a space, write its body, add a member and a thread", async () => {
  await api("POST", "/api/org/users.json", { code: "suzuki", name: "鈴木 花子", password: "suzuki-password-1", mustChangePassword: false });
  await api("POST", "/api/org/users.json", { code: "tanaka", name: "田中 次郎", password: "tanaka-password-1", mustChangePassword: false });
  await api("POST", "/api/org/users.json", { code: "kato", name: "加藤 三郎", password: "kato-password-1", mustChangePassword: false });

  const suzuki = await signIn("suzuki", "suzuki-password-1");
  await Promise.all([suzuki.waitForURL(/\/spaces$/), suzuki.click("[data-testid=nav-spaces]")]);
  await suzuki.fill("[data-testid=space-create-name]", "防災訓練の準備");
  await suzuki.check("[data-testid=space-create-private]");
  await suzuki.check("[data-testid=space-create-multi]");
  await Promise.all([suzuki.waitForURL(/\/spaces\/\d+$/), suzuki.click("[data-testid=space-create-submit]")]);
  const spaceId = suzuki.url().match(/spaces\/(\d+)/)[1];
  assert.equal(await suzuki.textContent("[data-testid=space-title]"), "防災訓練の準備");

  // Settings: the body, a member picked by name, then a thread.
  await Promise.all([suzuki.waitForURL(/\/settings$/), suzuki.click("[data-testid=space-settings-link]")]);
  const editor = suzuki.locator("[data-testid=space-body-editor]");
  await editor.click();
  await editor.evaluate((el) => { el.innerHTML = "<p>訓練は<b>11月9日</b>です。</p><img src=x onerror=\"window.pwned=1\">"; });
  await suzuki.click("[data-testid=space-body-save]");
  await suzuki.waitForSelector("[data-testid=settings-status]:not([hidden])");
  await suzuki.fill("[data-testid=space-member-pick-search]", "田中");
  await suzuki.click("[data-testid=space-member-pick-hits] [data-code=tanaka]");
  await suzuki.waitForSelector("[data-testid=member-1-name]");
  assert.equal(await suzuki.textContent("[data-testid=member-1-name]"), "田中 次郎");
  await Promise.all([
    suzuki.waitForResponse((r) => r.url().endsWith("/space/members.json") && r.request().method() === "PUT" && r.status() === 200),
    suzuki.click("[data-testid=space-members-save]"),
  ]);
  await shoot(suzuki, "settings");

  await suzuki.fill("#thread-add-name", "会場の手配");
  await Promise.all([
    suzuki.waitForResponse((r) => r.url().endsWith("/space/thread.json") && r.request().method() === "POST" && r.status() === 200),
    suzuki.click("[data-testid=thread-add-submit]"),
  ]);
  // The settings page reloads with the new thread among the renamable ones.
  await suzuki.waitForSelector("input[value='会場の手配']");
  await suzuki.goto(`${server.baseUrl}/spaces/${spaceId}`);
  await suzuki.waitForSelector("text=会場の手配");
  assert.deepEqual(suzuki.problems, []);
  await shoot(suzuki, "space");

  // The new member sees the space: the sanitised body, the thread (a link to the thread page), themselves.
  const tanaka = await signIn("tanaka", "tanaka-password-1", 390);
  await tanaka.goto(server.baseUrl + "/spaces");
  await Promise.all([tanaka.waitForURL(/\/spaces\/\d+$/), tanaka.click(`[data-testid=space-link-${spaceId}]`)]);
  const body = await tanaka.innerHTML("[data-testid=space-body]");
  assert.match(body, /<b>11月9日<\/b>/);
  assert.doesNotMatch(body, /onerror/);
  assert.equal(await tanaka.evaluate(() => window.pwned), undefined);
  const link = await tanaka.getAttribute("[data-testid=space-threads] a >> text=会場の手配", "href");
  assert.match(link, new RegExp(`^/spaces/${spaceId}/threads/\\d+$`));
  assert.match(await tanaka.textContent("[data-testid=space-members]"), /田中 次郎/);
  assert.equal(await tanaka.locator("[data-testid=space-settings-link]").count(), 0, "members do not get the settings");
  await tanaka.screenshot({ path: `/tmp/spaces-member-390-${process.env.KUMIKI_BACKEND || "sqlite"}.png`, fullPage: true });
  assert.deepEqual(tanaka.problems, []);

  // An outsider neither lists nor opens the private space.
  const kato = await signIn("kato", "kato-password-1");
  await kato.goto(server.baseUrl + "/spaces");
  assert.equal(await kato.locator(`[data-testid=space-link-${spaceId}]`).count(), 0);
  const resp = await kato.goto(`${server.baseUrl}/spaces/${spaceId}`);
  assert.equal(resp.status(), 404);
  const settings = await kato.goto(`${server.baseUrl}/spaces/${spaceId}/settings`);
  assert.equal(settings.status(), 404);
});
