// Issue 15, the residents' side of public forms in the browser at phone width (390×844): staff make
// a form through the staff API; a resident (no session) fills it with a file, makes a mistake, sees
// the message beside the field with the typing kept, confirms and gets a receipt number. What was
// typed survives a reload (localStorage) and is cleared once sent. axe-core finds no serious or
// critical violation on the form, error, confirmation and done pages.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { startServer, launchBrowser, ADMIN_PASSWORD } from "../lib.mjs";

const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");
const SHOTS = process.env.KUMIKI_PF_SHOTS || "";
let server, browser;

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A call to the server's API as Administrator. */
async function api(method, path, body) {
  const auth = Buffer.from(`Administrator:${ADMIN_PASSWORD}`).toString("base64");
  const res = await fetch(server.baseUrl + path, {
    method,
    headers: { "X-Cybozu-Authorization": auth, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => null);
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** axe-core on the current page: no serious or critical violation. */
async function axeCheck(page, what) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) }));
  });
  const bad = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `axe on the ${what} page: ${JSON.stringify(bad)}`);
}

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

test("a resident fills a form on a phone, fixes a mistake, confirms and gets a receipt", async () => {
  // Staff: the app and its form, through the APIs.
  const created = await api("POST", "/k/v1/preview/app.json", { name: "市民講座申込" });
  const app = Number(created.app);
  await api("POST", "/k/v1/preview/app/form/fields.json", {
    app,
    properties: {
      氏名: { type: "SINGLE_LINE_TEXT", code: "氏名", label: "氏名", required: true },
      人数: { type: "NUMBER", code: "人数", label: "参加人数" },
      メール: { type: "LINK", code: "メール", label: "メールアドレス", protocol: "MAIL" },
      区分: { type: "RADIO_BUTTON", code: "区分", label: "区分", options: { 一般: { label: "一般", index: "0" }, 学生: { label: "学生", index: "1" } } },
      写真: { type: "FILE", code: "写真", label: "写真" },
      感想: { type: "MULTI_LINE_TEXT", code: "感想", label: "ご意見" },
    },
  });
  await api("POST", "/k/v1/preview/app/deploy.json", { apps: [{ app }] });
  for (let i = 0; i < 50; i++) {
    const s = await api("GET", `/k/v1/preview/app/deploy.json?apps[0]=${app}`);
    if (s.apps?.[0]?.status === "SUCCESS") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const form = await api("POST", "/api/public-form.json", {
    app,
    name: "市民講座申込",
    settings: {
      fields: [
        { code: "氏名", label: { ja: "お名前", en: "Name", easy: "なまえ" }, help: { ja: "フルネームで入力してください。" } },
        { code: "人数", required: true },
        { code: "メール" },
        { code: "区分" },
        { code: "写真" },
        { code: "感想" },
      ],
      texts: {
        title: { ja: "市民講座 参加申込", en: "Community course sign-up", easy: "しみん こうざ の もうしこみ" },
        intro: { ja: "必要事項を入力してください。" },
        done: { ja: "お申し込みを受け付けました。当日お待ちしています。" },
      },
      languages: ["ja", "en", "easy"],
      files: { max_bytes: 1048576, types: ["image/png", "image/jpeg", "application/pdf"] },
    },
  });
  await api("PUT", "/api/public-form.json", { id: form.id, state: "published" });
  const url = `${server.baseUrl}/f/${form.slug}`;

  // A resident on a phone: no session, nothing but this server.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "ja-JP", bypassCSP: true, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("request", (r) => { if (!r.url().startsWith(server.baseUrl) && !r.url().startsWith("data:")) problems.push("outside request: " + r.url()); });
  // The error page's own 422 is expected; anything else in the console is a problem.
  page.on("console", (m) => { if (m.type() === "error" && !/status of 422/.test(m.text())) problems.push("console: " + m.text()); });
  page.on("response", (r) => { if (r.status() === 404) problems.push("404: " + r.url()); });

  await page.goto(url);
  assert.equal(await page.locator("h1").innerText(), "市民講座 参加申込");
  assert.equal((await context.cookies()).length, 0, "no cookies for residents");
  await axeCheck(page, "form");
  await shot(page, "public-forms-resident-form");

  await page.getByLabel("お名前").fill("山田 花子");
  await page.getByLabel("参加人数").fill("たくさん");
  await page.getByLabel("メールアドレス").fill("hanako@example.jp");
  await page.getByLabel("学生").check();
  await page.getByLabel("ご意見").fill("駐車場はありますか。");

  // A reload keeps the typing (the browser's storage).
  await page.reload();
  assert.equal(await page.getByLabel("お名前").inputValue(), "山田 花子");
  assert.equal(await page.getByLabel("ご意見").inputValue(), "駐車場はありますか。");
  assert.ok(await page.getByLabel("学生").isChecked());
  assert.match(await page.locator("#pf-status").innerText(), /復元/);

  await page.getByLabel("写真").setInputFiles({ name: "map.png", mimeType: "image/png", buffer: PNG });
  await Promise.all([page.waitForNavigation(), page.getByTestId("pf-confirm").click()]);

  // The mistake: the server's message beside the field, the typing kept, the file kept.
  const summary = page.getByTestId("pf-summary");
  assert.match(await summary.innerText(), /1 件の誤り/);
  const field = page.locator(".pf-field[data-code='人数']");
  assert.equal(await field.locator(".pf-error").innerText(), "数値を入力してください。");
  assert.equal(await page.getByLabel("参加人数").getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByLabel("参加人数").inputValue(), "たくさん");
  assert.equal(await page.getByLabel("お名前").inputValue(), "山田 花子");
  assert.match(await page.getByTestId("pf-attached").innerText(), /map\.png/);
  await axeCheck(page, "error");
  await shot(page, "public-forms-resident-error");

  // The summary's link leads to the field.
  await summary.getByRole("link").first().click();
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("name")), "f.人数");
  await page.getByLabel("参加人数").fill("2");
  await Promise.all([page.waitForNavigation(), page.getByTestId("pf-confirm").click()]);

  const review = await page.getByTestId("pf-review").innerText();
  for (const v of ["山田 花子", "2", "hanako@example.jp", "学生", "map.png", "駐車場はありますか。"]) {
    assert.ok(review.includes(v), `the confirmation shows ${v}: ${review}`);
  }
  await axeCheck(page, "confirmation");
  await shot(page, "public-forms-resident-confirm");

  await Promise.all([page.waitForURL(/\/done\?r=/), page.getByTestId("pf-submit").click()]);
  const receipt = await page.getByTestId("pf-receipt").innerText();
  assert.match(receipt, new RegExp(`^${form.id}-\\d{6}-[A-Z2-9]{4}$`));
  assert.match(await page.locator("main").innerText(), /当日お待ちしています/);
  await axeCheck(page, "done");
  await shot(page, "public-forms-resident-done");
  const kept = await page.evaluate((k) => localStorage.getItem(k), `kumiki-pf:${form.slug}`);
  assert.equal(kept, null, "the typing is cleared once sent");

  // Staff see the record.
  const records = await api("GET", `/k/v1/records.json?app=${app}`);
  assert.equal(records.records.length, 1);
  assert.equal(records.records[0]["氏名"].value, "山田 花子");
  assert.equal(records.records[0]["人数"].value, "2");
  assert.equal(records.records[0]["写真"].value[0].name, "map.png");

  // A fresh visit starts empty; easy Japanese is offered.
  await page.goto(url + "?lang=easy");
  assert.equal(await page.getByLabel("なまえ").inputValue(), "");
  assert.equal(await page.locator("h1").innerText(), "しみん こうざ の もうしこみ");
  await axeCheck(page, "easy-Japanese form");

  assert.deepEqual(problems, []);
  await context.close();
});
