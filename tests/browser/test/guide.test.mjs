// The first-steps guide (/guide): performs the guide's steps — create 備品貸出管理 from the empty
// portal, place fields in the designer, choose icon and record title, a workflow with an approver, a
// view with chosen columns, publish, run a record — and screenshots each step. With
// KUMIKI_WRITE_GUIDE_SHOTS=1 the screenshots are written to docs/guide/ and platform/static/guide/
// (embedded in the binary at the next build), so the guide's pictures follow the pages; CI does not
// set it and leaves the tree alone. Finally the guide page must render with all its pictures.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, statSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const WRITE = process.env.KUMIKI_WRITE_GUIDE_SHOTS === "1";
const SHOTS = WRITE ? join(ROOT, "docs/guide") : "/tmp/kumiki-guide-shots";
const VIEWPORT = { width: 1024, height: 640 };

let server, browser;
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
  mkdirSync(SHOTS, { recursive: true });
});
after(async () => { await browser?.close(); await server?.stop(); });

/** Screenshots the viewport as `name`; with KUMIKI_WRITE_GUIDE_SHOTS=1 also into the embedded assets. */
async function shot(page, name) {
  const path = join(SHOTS, name);
  await page.screenshot({ path });
  const size = statSync(path).size;
  assert.ok(size < 200 * 1024, `${name} is ${size} bytes`);
  if (WRITE) copyFileSync(path, join(ROOT, "platform/static/guide", name));
}

/** Whether the page shows the not-found page (a settings page not built yet). */
async function missing(page) {
  return (await page.title()).includes("見つかりません") || (await page.$("[data-testid=not-found]")) !== null;
}

const FIELDS = [
  ["SINGLE_LINE_TEXT", "備品名"],
  ["SINGLE_LINE_TEXT", "管理番号"],
  ["DATE", "貸出日"],
  ["DATE", "返却予定日"],
  ["MULTI_LINE_TEXT", "備考"],
];

test("a new user builds 備品貸出管理 as the guide says; the screenshots are the guide's", async () => {
  const page = await signedInPage(browser, server.baseUrl, VIEWPORT);
  const notes = [];

  // The empty portal leads to the guide.
  await page.waitForSelector("[data-testid=portal-guide-link]");
  assert.equal(await page.getAttribute("[data-testid=portal-guide-link]", "href"), "/guide");
  assert.equal(await page.getAttribute("[data-testid=portal-guide-create]", "href"), "/guide");

  // 1. Create the app.
  await page.fill("[data-testid=new-app-name]", "備品貸出管理");
  // Below the sticky header: the way to the guide and the create forms.
  await page.$eval("[data-testid=portal-guide-empty]", (e) => e.scrollIntoView());
  await page.evaluate(() => window.scrollBy(0, -72));
  await shot(page, "01-create.png");
  await Promise.all([page.waitForURL(/\/apps\/\d+\/settings/), page.click("[data-testid=create-blank]")]);
  const app = page.url().match(/apps\/(\d+)/)[1];

  // 2. Place fields in the designer and name them.
  await page.waitForSelector("[data-testid=canvas]");
  // At this width the palette is folded above the form: open it, pick a type, add, name the field.
  for (const [type, label] of FIELDS) {
    if (!(await page.isVisible(`[data-testid=palette-${type}]`))) await page.click("[data-testid=palette-toggle]");
    await page.click(`[data-testid=palette-${type}]`);
    await page.click("[data-testid=palette-add]");
    const placed = await page.$$("[data-testid=canvas] [data-testid^=field-]");
    await placed[placed.length - 1].click();
    await page.fill("[data-testid=panel-label]", label);
  }
  await page.click("[data-testid=save]");
  await page.waitForSelector("[data-testid=status][data-state=unpublished], [data-testid=status][data-state=new]", { timeout: 20000 });
  const { properties } = await api("GET", `preview/app/form/fields.json?app=${app}`);
  const byLabel = Object.fromEntries(Object.values(properties).map((p) => [p.label, p]));
  for (const [type, label] of FIELDS) assert.equal(byLabel[label]?.type, type, `field ${label}`);
  const code = (label) => byLabel[label].code;
  await page.$eval("[data-testid=canvas]", (e) => e.scrollIntoView());
  await page.evaluate(() => window.scrollBy(0, -110));
  await shot(page, "02-form.png");

  // 3. Icon and record title on the general settings.
  await page.goto(`${server.baseUrl}/apps/${app}/general`);
  await page.waitForSelector("#g-form:not([hidden])");
  await page.click("label:has([data-testid=general-icon-box])");
  await page.fill("[data-testid=general-description]", "総務課の備品（プロジェクター、公用車の鍵など）の貸出と返却を記録します。問い合わせ: 総務課 内線1234");
  await page.check("[data-testid=general-title-manual]");
  await page.selectOption("[data-testid=general-title-field]", code("備品名"));
  await page.click("[data-testid=general-save]");
  await page.waitForSelector("[data-testid=general-message].ok, [data-testid=general-message]:has-text('保存しました')");
  await page.$eval("[data-testid=general-icons]", (e) => e.scrollIntoView({ block: "center" }));
  await shot(page, "03-general.png");

  // 4. The workflow with an approver. The process page is set up through the API here (its own
  // browser test drives it); the screenshot shows the page as it is.
  await api("POST", "/api/org/users.json", { code: "sato", name: "佐藤 一郎", password: "sato-password-1", mustChangePassword: false });
  const approver = { type: "ONE", entities: [{ entity: { type: "USER", code: "sato" } }] };
  await api("PUT", "preview/app/status.json", { app, enable: true,
    states: {
      申請中: { name: "申請中", index: "0" },
      承認待ち: { name: "承認待ち", index: "1", assignee: approver },
      貸出中: { name: "貸出中", index: "2" },
      返却済み: { name: "返却済み", index: "3" },
    },
    actions: [
      { name: "申請する", from: "申請中", to: "承認待ち" },
      { name: "承認する", from: "承認待ち", to: "貸出中" },
      { name: "返却する", from: "貸出中", to: "返却済み" },
    ] });
  await page.goto(`${server.baseUrl}/apps/${app}/process`);
  await page.waitForLoadState("networkidle");
  if (await missing(page)) notes.push("process page missing: screenshot of the review page instead");
  if (await missing(page)) await page.goto(`${server.baseUrl}/apps/${app}/review`);
  await page.waitForTimeout(500);
  await shot(page, "04-process.png");

  // 5. A view with chosen columns (also through the API; the views page has its own test).
  const fields = await api("GET", `preview/app/form/fields.json?app=${app}`);
  const status = Object.values(fields.properties).find((p) => p.type === "STATUS");
  const columns = [code("備品名"), code("管理番号"), code("返却予定日")].concat(status ? [status.code] : []);
  const views = await api("PUT", "preview/app/views.json", { app, views: {
    貸出中の備品: { type: "LIST", index: "0", fields: columns, filterCond: "", sort: `${code("返却予定日")} asc` },
  } });
  await page.goto(`${server.baseUrl}/apps/${app}/views`);
  await page.waitForLoadState("networkidle");
  if (await missing(page)) notes.push("views page missing: screenshot of the general settings instead");
  if (await missing(page)) await page.goto(`${server.baseUrl}/apps/${app}/general`);
  await page.waitForTimeout(500);
  await shot(page, "05-views.png");

  // 6. Publish from the general settings, with the view to open first.
  await page.goto(`${server.baseUrl}/apps/${app}/general`);
  await page.waitForSelector("#g-form:not([hidden])");
  await page.selectOption("[data-testid=general-default-view]", views.views["貸出中の備品"].id);
  await page.click("[data-testid=general-publish]");
  await page.waitForSelector("[data-testid=general-status][data-state=published]", { timeout: 30000 });

  // 7. A record, ready to be applied for.
  const { id } = await api("POST", "record.json", { app, record: {
    [code("備品名")]: { value: "プロジェクター（会議室A）" }, [code("管理番号")]: { value: "備-0042" },
    [code("貸出日")]: { value: "2026-12-03" }, [code("返却予定日")]: { value: "2026-12-10" },
    [code("備考")]: { value: "住民説明会で使用" },
  } });
  await page.goto(`${server.baseUrl}/apps/${app}/records/${id}`);
  await page.waitForSelector("[data-testid=process-action-0]");
  assert.match(await page.textContent("[data-testid=process-action-0]"), /申請する/);
  await shot(page, "06-record.png");

  if (notes.length) console.log("guide screenshots: " + notes.join("; "));
  assert.deepEqual(page.problems, []);
});

test("the guide renders in Japanese and English with all its pictures, and settings tabs link to it", async () => {
  const page = await signedInPage(browser, server.baseUrl, { width: 1280, height: 900 });
  await page.goto(server.baseUrl + "/guide");
  await page.waitForSelector("[data-testid=guide]");
  assert.match(await page.textContent("h1"), /はじめてのアプリ作成ガイド/);
  const steps = await page.$$("[data-testid^=guide-step-]");
  assert.equal(steps.length, 7);
  const shots = await page.$$("[data-testid=guide-shot]");
  assert.equal(shots.length, 6);
  for (const img of shots) {
    await img.scrollIntoViewIfNeeded();
    await page.waitForFunction((e) => e.complete, img);
    assert.ok(await img.evaluate((e) => e.naturalWidth > 0 && e.alt.length > 0), await img.getAttribute("src"));
  }
  await page.screenshot({ path: "/tmp/guide-page.png", fullPage: true });

  // The ? at the end of every settings page's tabs opens the guide.
  const { app } = await api("POST", "preview/app.json", { name: "ガイド確認" });
  await page.goto(`${server.baseUrl}/apps/${app}/general`);
  await Promise.all([page.waitForURL(/\/guide$/), page.click("[data-testid=tab-help]")]);

  await page.click("[data-testid=switch-language]");
  await page.waitForSelector("[data-testid=guide]");
  assert.match(await page.textContent("h1"), /First steps/);

  const phone = await signedInPage(browser, server.baseUrl, { width: 390, height: 844 });
  await phone.goto(server.baseUrl + "/guide");
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);
  await phone.screenshot({ path: "/tmp/guide-phone.png" });
  assert.deepEqual(page.problems, []);
  assert.deepEqual(phone.problems, []);
});
