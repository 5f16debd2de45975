// Issue 15, public forms — the staff side in the browser: a staff member creates a form from the
// 投票率報告 template in the gallery, edits and publishes it, adds two recipient links, and reads the
// results page with the station × hour pivot (answers sent the residents' way, POST /f/...).
// Screenshots public-forms-{templates,editor,links,results}.png go to a temporary folder, or to
// KUMIKI_PF_SHOTS (KUMIKI_PF_SHOTS=$PWD/../../docs/img regenerates the docs' pictures), so a test
// run leaves the work tree as it was.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

const IMG = process.env.KUMIKI_PF_SHOTS || join(tmpdir(), "kumiki-pf-staff-shots");
let server, browser;

async function api(method, path, body) {
  const headers = { "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" };
  const r = await fetch(server.baseUrl + path, { method, headers, body: body && JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${JSON.stringify(j)}`);
  return j;
}

function unescapeHtml(s) {
  return s.replace(/&quot;/g, "\"").replace(/&#x27;|&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">")
    .replace(/&#x3D;/g, "=").replace(/&#x60;/g, "`").replace(/&amp;/g, "&");
}

function hidden(html, name) {
  const m = html.match(new RegExp(`<input[^>]*name="${name}"[^>]*>`));
  if (!m) return null;
  const v = m[0].match(/value="([^"]*)"/);
  return v ? unescapeHtml(v[1]) : null;
}

/** Answers through a recipient's link as a resident's browser without scripts would. */
async function answer(path, values) {
  const fields = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) fields.append("f." + k, v);
  fields.append("lang", "ja");
  fields.append("homepage", "");
  const confirm = new URLSearchParams(fields);
  confirm.append("step", "confirm");
  const r = await fetch(server.baseUrl + path, { method: "POST", body: confirm, redirect: "manual" });
  const html = await r.text();
  assert.equal(r.status, 200, html.slice(0, 400));
  const submit = new URLSearchParams(fields);
  submit.append("step", "submit");
  for (const name of ["files", "sig"]) {
    const v = hidden(html, name);
    if (v !== null) submit.append(name, v);
  }
  const done = await fetch(server.baseUrl + path, { method: "POST", body: submit, redirect: "manual" });
  assert.equal(done.status, 303, await done.text());
  return done.headers.get("location");
}

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
  mkdirSync(IMG, { recursive: true });
});
after(async () => { await browser?.close(); await server?.stop(); });

test("staff build the turnout report from the gallery, publish it, add links and read the pivot", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  // The portal links the gallery.
  await page.click("[data-testid=portal-pf-templates]");
  await page.waitForURL(server.baseUrl + "/forms/templates");
  assert.ok((await page.$$("[data-testid=pf-template]")).length >= 10);
  await page.screenshot({ path: join(IMG, "public-forms-templates.png"), fullPage: true });

  await Promise.all([page.waitForURL(/\/forms\/\d+\/edit$/), page.click("[data-testid=pf-template-use-turnout]")]);
  const formId = page.url().match(/\/forms\/(\d+)\/edit$/)[1];
  await page.waitForSelector("#pf-edit-form:not([hidden])");
  assert.equal(await page.textContent("[data-testid=pf-state]"), "下書き");
  const codes = await page.$$eval("[data-testid=pf-field][data-code]", (els) => els.map((e) => e.getAttribute("data-code")));
  assert.deepEqual(codes.slice(0, 3), ["投票所", "時刻", "投票者数"]);
  assert.equal(await page.inputValue("[data-testid=pf-pivot-rows]"), "_recipient");
  assert.equal(await page.inputValue("[data-testid=pf-pivot-cols]"), "時刻");
  assert.equal(await page.inputValue("[data-testid=pf-pivot-value]"), "投票者数");

  // Edit: the title, a help text for the voters field, English on; save, then publish.
  await page.fill("[data-testid=pf-name]", "投票率報告（市長選挙）");
  await page.fill("[data-testid=pf-text-title-ja]", "市長選挙 投票者数の報告");
  await page.fill("[data-testid=pf-text-intro-ja]", "各投票所の担当者は、毎時0分時点の投票者数（累計）を報告してください。");
  const voters = page.locator("[data-testid=pf-field][data-code=投票者数]");
  await voters.locator("summary").click();
  await voters.locator("[data-testid=pf-field-help-ja]").fill("その時刻までの累計を数字で入力します。");
  await page.check("[data-testid=pf-lang-en]");
  await page.click("[data-testid=pf-save]");
  await page.waitForSelector("[data-testid=pf-status]:not([hidden])");
  assert.equal(await page.textContent("[data-testid=pf-status]"), "保存しました。");
  await page.click("[data-testid=pf-publish]");
  await page.waitForFunction(() => document.querySelector("[data-testid=pf-state]").textContent === "公開中");
  let form = await api("GET", `/api/public-form.json?id=${formId}`);
  assert.equal(form.state, "published");
  assert.equal(form.name, "投票率報告（市長選挙）");
  assert.equal(form.settings.texts.title.ja, "市長選挙 投票者数の報告");
  assert.ok(form.settings.languages.includes("en"));
  assert.equal(form.settings.fields.find((f) => f.code === "投票者数").help.ja, "その時刻までの累計を数字で入力します。");
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(IMG, "public-forms-editor.png") });

  // Two recipient links, the station's name prefilled.
  await page.click("[data-testid=pf-tab-links]");
  await page.waitForURL(`${server.baseUrl}/forms/${formId}/links`);
  await page.waitForSelector("[data-testid=pf-prefill-field] option[value=投票所]", { state: "attached" });
  await page.fill("[data-testid=pf-recipients]", "第1投票所（市役所）\t第1投票所（市役所）\n第2投票所（北小学校）\t第2投票所（北小学校）");
  await page.selectOption("[data-testid=pf-prefill-field]", "投票所");
  await page.click("[data-testid=pf-links-add]");
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=pf-link-row]").length === 2);
  assert.equal(await page.textContent("[data-testid=pf-status]"), "2 件のリンクを作りました。");
  const links = (await api("GET", `/api/public-form/links.json?form=${formId}`)).links;
  assert.deepEqual(links.map((l) => l.prefill["投票所"]), ["第1投票所（市役所）", "第2投票所（北小学校）"]);
  assert.ok(links.every((l) => /^\/f\/[A-Za-z0-9_-]{22}\/l\/[A-Za-z0-9_-]{22}$/.test(l.path)));

  // Answers through the links (the residents' pages; skipped where the server has none yet).
  const resident = await fetch(server.baseUrl + links[0].path);
  const residentsPages = resident.status === 200;
  if (residentsPages) {
    await answer(links[0].path, { 時刻: "09時", 投票者数: "152" });
    await answer(links[1].path, { 時刻: "09時", 投票者数: "98" });
    // More hours: one link per station and hour, as the editor's list allows.
    const more = await api("POST", "/api/public-form/links.json", { form: formId, links: [
      { recipient: "第1投票所（市役所）", prefill: { 投票所: "第1投票所（市役所）" } },
      { recipient: "第2投票所（北小学校）", prefill: { 投票所: "第2投票所（北小学校）" } },
      { recipient: "第1投票所（市役所）", prefill: { 投票所: "第1投票所（市役所）" } },
    ] });
    await answer(more.links[0].path, { 時刻: "10時", 投票者数: "310" });
    await answer(more.links[1].path, { 時刻: "10時", 投票者数: "187" });
    await answer(more.links[2].path, { 時刻: "11時", 投票者数: "455" });
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=pf-link-state]").length === 5);
    const states = await page.$$eval("[data-testid=pf-link-state]", (els) => els.map((e) => e.textContent));
    assert.equal(states.filter((s) => s === "回答済み").length, 5);
  }
  await page.screenshot({ path: join(IMG, "public-forms-links.png"), fullPage: true });

  // Revoking a link (a third, never answered).
  await api("POST", "/api/public-form/links.json", { form: formId, links: [{ recipient: "第3投票所（南公民館）" }] });
  await page.reload();
  const last = page.locator("[data-testid=pf-link-row]").last();
  await last.locator("[data-testid=pf-link-select]").check();
  page.once("dialog", (d) => d.accept());
  await page.click("[data-testid=pf-revoke]");
  await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=pf-link-state]")].some((e) => e.textContent === "無効"));

  // The results: the pivot with totals, a chart, answers by hour; the CSV link.
  await page.click("[data-testid=pf-tab-results]");
  await page.waitForURL(`${server.baseUrl}/forms/${formId}/results`);
  assert.ok(await page.$("[data-testid=pf-pivot-table]"));
  assert.ok(await page.$("[data-testid=pf-csv]"));
  if (residentsPages) {
    assert.equal(await page.textContent("[data-testid=pf-answers]"), "5");
    assert.equal(await page.textContent("[data-testid=pf-pivot-total]"), "1202");
    const rows = await page.$$eval("[data-testid=pf-pivot-row] th", (els) => els.map((e) => e.textContent));
    assert.deepEqual([...rows].sort(), ["第1投票所（市役所）", "第2投票所（北小学校）"]);
    assert.ok(await page.$("[data-testid=pf-results] svg.chart"));
    // Live refresh: a new answer shows up without reloading the page.
    const extra = await api("POST", "/api/public-form/links.json", { form: formId, links: [{ recipient: "第2投票所（北小学校）", prefill: { 投票所: "第2投票所（北小学校）" } }] });
    await answer(extra.links[0].path, { 時刻: "11時", 投票者数: "240" });
    await page.waitForFunction(() => document.querySelector("[data-testid=pf-answers]").textContent === "6", null, { timeout: 20000 });
    assert.equal(await page.textContent("[data-testid=pf-pivot-total]"), "1442");
    assert.match(await page.textContent("[data-testid=pf-live]"), /更新しました/);
  }
  await page.screenshot({ path: join(IMG, "public-forms-results.png"), fullPage: true });

  // The app's records page links its forms.
  form = await api("GET", `/api/public-form.json?id=${formId}`);
  await page.goto(`${server.baseUrl}/apps/${form.app}`);
  await page.click("[data-testid=app-forms]");
  await page.waitForURL(`${server.baseUrl}/apps/${form.app}/forms`);
  assert.equal(await page.textContent("[data-testid=pf-form-state]"), "公開中");
  assert.deepEqual(page.problems, []);
});
