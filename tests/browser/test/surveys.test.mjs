// Survey relay in the browser (issue 14, scenario 1): the prefecture office (a host user) writes a
// request on /surveys/new with three attachments, answer fields (a subtable too) and an Excel answer
// sheet (a table under a title row) to three guest organisations A, B and C, and sends it. A's guest opens it: the dashboard shows 開封済 with a time.
// B's guest answers on a phone-width page with a filled sheet (a cell that is no number is listed
// as a problem, then corrected) and submits; the office returns it with a comment; B sees the
// comment, corrects and submits again. C is late (its deadline moved into the past) and the
// office reminds everyone not answered: C's bell shows it and C's e-mail (chosen "each") reaches
// the test's SMTP sink. Counts on the dashboard are checked.
// The office exports the merge (fields as XLSX and Shift_JIS CSV, the sheets as one workbook) and
// the test reads the cells. Screenshots: KUMIKI_SURVEY_SHOTS (docs/img for docs/surveys.md), else /tmp.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { startServer, launchBrowser, ADMIN_PASSWORD } from "../lib.mjs";
import { makeXlsx, readXlsx } from "../xlsx.mjs";

const BACKEND = process.env.KUMIKI_BACKEND || "sqlite";
const SHOTS = process.env.KUMIKI_SURVEY_SHOTS || "/tmp";
const office = { code: "kikaku", name: "企画 太郎", password: "kikaku-password-1" };
const orgs = [
  { key: "A", space: "A市", guest: { code: "tanaka@a-city.example", name: "田中 一郎", password: "tanaka-Passw0rd-1" } },
  { key: "B", space: "B町", guest: { code: "suzuki@b-town.example", name: "鈴木 花子", password: "suzuki-Passw0rd-1" } },
  { key: "C", space: "C村", guest: { code: "sato@c-village.example", name: "佐藤 次郎", password: "sato-Passw0rd-1" } },
];
let server, browser, surveyId, smtp;
const answerOf = {};
const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/** The answer sheet: a title row, then a table with its header on row 3 and an example row. */
const sheetRows = (rows) => [["職員研修 実施状況 回答様式"], [], ["研修名", "受講者数", "実施日"], ...rows];
const TEMPLATE = makeXlsx({ sheet: "回答", rows: sheetRows([["（例）新任研修", 10, "2026-04-01"]]) });

/** A minimal SMTP sink: every accepted message as {from, to: [..], data}. */
function smtpSink() {
  const messages = [];
  const srv = createServer((sock) => {
    let buf = "", inData = false, msg = null;
    sock.setEncoding("latin1");
    sock.write("220 sink ESMTP\r\n");
    sock.on("data", (chunk) => {
      buf += chunk;
      for (;;) {
        if (inData) {
          const end = buf.indexOf("\r\n.\r\n");
          if (end < 0) return;
          msg.data = Buffer.from(buf.slice(0, end), "latin1").toString("utf8");
          messages.push(msg);
          buf = buf.slice(end + 5);
          inData = false;
          sock.write("250 OK\r\n");
          continue;
        }
        const nl = buf.indexOf("\r\n");
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO" || verb === "HELO") sock.write("250-sink\r\n250 8BITMIME\r\n");
        else if (verb === "MAIL") { msg = { from: line, to: [], data: "" }; sock.write("250 OK\r\n"); }
        else if (verb === "RCPT") { msg.to.push(line.replace(/^RCPT TO:\s*<?([^>]*)>?.*$/i, "$1")); sock.write("250 OK\r\n"); }
        else if (verb === "DATA") { inData = true; sock.write("354 go on\r\n"); }
        else if (verb === "QUIT") { sock.end("221 bye\r\n"); return; }
        else sock.write("250 OK\r\n");
      }
    });
    sock.on("error", () => {});
  });
  return new Promise((ok) => srv.listen(0, "127.0.0.1", () => ok({ port: srv.address().port, messages, close: () => srv.close() })));
}

async function call(method, path, body, who = { code: "Administrator", password: ADMIN_PASSWORD }) {
  const headers = { "X-Cybozu-Authorization": Buffer.from(`${who.code}:${who.password}`).toString("base64"), "Content-Type": "application/json" };
  const r = await fetch(server.baseUrl + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const json = await r.json();
  assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

async function signIn(user, { width = 1280, guest = false } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, locale: "ja-JP", acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("console", (m) => { if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) problems.push("console: " + m.text()); });
  page.on("response", (r) => { if (r.status() >= 500) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on("request", (r) => { if (!r.url().startsWith(server.baseUrl) && !r.url().startsWith("data:")) problems.push("outside request: " + r.url()); });
  page.dialogs = [];
  page.on("dialog", (d) => { page.dialogs.push(d.message()); d.accept(); });
  page.problems = problems;
  await page.goto(server.baseUrl + "/login");
  await page.fill("input[name=login]", user.code);
  await page.fill("input[name=password]", user.password);
  await Promise.all([page.waitForURL(server.baseUrl + (guest ? "/guest" : "/")), page.click("form[action='/login'] button[type=submit]")]);
  return page;
}

async function bellCount(page) {
  const badge = await page.$("[data-testid=bell-count]");
  return badge ? Number((await badge.textContent()).trim()) : 0;
}

async function noSideways(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `${what}: no sideways scrolling at phone width (${overflow}px too wide)`);
}

async function shot(page, name) {
  // The header sticks to the top: a full-page picture is taken from the top.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SHOTS}/surveys-${name}${SHOTS === "/tmp" ? "-" + BACKEND : ""}.png`, fullPage: true });
}

/** A mail's text with its base64 and quoted-printable parts and encoded words decoded. */
function decoded(raw) {
  let out = raw.replace(/=\?utf-8\?b\?([^?]*)\?=/gi, (_, b) => Buffer.from(b, "base64").toString("utf8"));
  for (const block of raw.split(/\r?\n\r?\n/)) {
    const b = block.replace(/\s+/g, "");
    if (/^[A-Za-z0-9+/=]{16,}$/.test(b)) out += "\n" + Buffer.from(b, "base64").toString("utf8");
  }
  if (/quoted-printable/i.test(raw)) {
    out += "\n" + Buffer.from(raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8");
  }
  return out;
}

/** The dashboard's row of an organisation. */
function row(page, org) { return page.locator(`[data-testid=dashboard-row][data-org='${org.space}']`); }
async function count(page, state) { return Number(await page.getAttribute(`[data-testid=count-${state}]`, "data-n")); }
async function openDashboard(page) {
  await page.goto(`${server.baseUrl}/surveys/${surveyId}`);
  await page.waitForSelector("[data-testid=dashboard-row]");
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  smtp = await smtpSink();
  server = await startServer({ examples: false, serveArgs: ["--smtp-url", `smtp://127.0.0.1:${smtp.port}`, "--smtp-from", "Kumiki <kumiki@example.jp>"] });
  browser = await launchBrowser();
  await call("POST", "/api/org/users.json", { code: office.code, name: office.name, password: office.password, mustChangePassword: false });
  for (const o of orgs) {
    await call("POST", "/api/guests.json", { code: o.guest.code, name: o.guest.name, password: o.guest.password, company: o.space });
    ({ id: o.id } = await call("POST", "/api/space.json", {
      name: o.space, isGuest: true, isPrivate: true,
      members: [{ entity: { type: "USER", code: office.code }, isAdmin: true }],
    }, office));
    await call("PUT", `/k/guest/${o.id}/v1/space/guests.json`, { id: o.id, guests: [o.guest.code] }, office);
  }
  // C's contact wants an e-mail for each notification.
  await call("PUT", "/api/account/notifications.json", { mode: "each", email: orgs[2].guest.code }, orgs[2].guest);
});
after(async () => { await browser?.close(); await server?.stop(); smtp?.close(); });

test("the office writes the request with three attachments and answer fields and sends it to A, B and C", async () => {
  const page = await signIn(office);
  await page.click("[data-testid=nav-surveys]");
  await page.waitForURL(/\/surveys/);
  await page.waitForSelector("[data-testid=surveys-empty]:not([hidden])");
  await Promise.all([page.waitForURL(/\/surveys\/new$/), page.click("[data-testid=surveys-new]")]);
  await page.waitForSelector("[data-testid=recipient-org]");

  await page.fill("[data-testid=survey-title]", "令和8年度 職員研修の実施状況調査");
  await page.fill("[data-testid=survey-body]", "総務省からの照会です。\n各団体の研修の実施状況を回答してください。\n問い合わせ: 企画課 企画 太郎");
  const due = new Date(Date.now() + 7 * 86400000);
  const pad = (n) => String(n).padStart(2, "0");
  await page.fill("[data-testid=survey-due-date]", `${due.getFullYear()}-${pad(due.getMonth() + 1)}-${pad(due.getDate())}`);
  await page.fill("[data-testid=survey-due-time]", "17:00");
  await page.setInputFiles("[data-testid=survey-file]", [
    { name: "01_通知文.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4 通知文") },
    { name: "02_調査概要.docx", mimeType: "application/octet-stream", buffer: Buffer.from("調査概要") },
    { name: "03_記入要領.txt", mimeType: "text/plain", buffer: Buffer.from("記入要領") },
  ]);
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=survey-file-item] a").length === 3);

  // Answer fields: 職員数 (number, required), 担当者 (text), 研修実績 (a table of 研修名 and 受講者数).
  const rows = page.locator("[data-testid=field-row]");
  await rows.nth(0).locator("[data-testid=field-label]").fill("職員数");
  assert.equal(await rows.nth(0).locator("[data-testid=field-code]").inputValue(), "職員数", "the code follows the label");
  await rows.nth(0).locator("[data-testid=field-type]").selectOption("NUMBER");
  await rows.nth(0).locator("[data-testid=field-required]").check();
  await page.click("[data-testid=fields-add]");
  await rows.nth(1).locator("[data-testid=field-label]").fill("担当者");
  await page.click("[data-testid=fields-add]");
  await rows.nth(2).locator("[data-testid=field-label]").fill("研修実績");
  await rows.nth(2).locator("[data-testid=field-type]").selectOption("SUBTABLE");
  const inner = rows.nth(2).locator("[data-testid=field-inner-row]");
  await inner.nth(0).locator("[data-testid=field-label]").fill("研修名");
  await rows.nth(2).locator("[data-testid=fields-inner-add]").click();
  await inner.nth(1).locator("[data-testid=field-label]").fill("受講者数");
  await inner.nth(1).locator("[data-testid=field-type]").selectOption("NUMBER");

  // The Excel answer sheet: the template's table is found under its title row, kinds from the example row.
  await page.setInputFiles("[data-testid=survey-sheet-file]", { name: "回答様式.xlsx", mimeType: XLSX_TYPE, buffer: TEMPLATE });
  await page.waitForSelector("[data-testid=sheet-column], [data-testid=survey-errors]:not([hidden])");
  assert.equal(await page.isVisible("[data-testid=survey-errors]"), false, await page.textContent("[data-testid=survey-errors]"));
  assert.deepEqual(await page.$$eval("[data-testid=sheet-column] td:first-child", (tds) => tds.map((td) => td.textContent)), ["研修名", "受講者数", "実施日"]);
  assert.equal(await page.inputValue("[data-testid=sheet-header-row]"), "3");
  assert.equal(await page.inputValue("[data-testid=sheet-name]"), "回答");
  const kinds = page.locator("[data-testid=sheet-column] [data-testid=sheet-kind]");
  assert.equal(await kinds.nth(1).inputValue(), "NUMBER");
  await kinds.nth(2).selectOption("DATE");

  // Recipients: found with the filter box.
  for (const o of orgs) {
    await page.fill("[data-testid=survey-org-filter]", o.space);
    await page.check(`[data-testid=recipient-org][data-key='space:${o.id}']`);
  }
  await page.fill("[data-testid=survey-org-filter]", "");
  assert.match(await page.textContent("[data-testid=survey-recipient-count]"), /3 組織/);
  assert.equal(await page.locator("[data-testid=recipient-chip]").count(), 3);

  // Saving without a title shows the API's message beside the field and in the summary.
  await page.fill("[data-testid=survey-title]", "");
  await page.click("[data-testid=survey-save]");
  await page.waitForSelector("[data-testid=survey-errors]:not([hidden])");
  assert.ok(await page.locator("[data-error-for=title] .sv-field-error").count() >= 1, "the title's error is beside it");
  await page.fill("[data-testid=survey-title]", "令和8年度 職員研修の実施状況調査");

  await page.click("[data-testid=survey-save]");
  await page.waitForSelector("[data-testid=survey-status]:not([hidden])");
  assert.match(page.url(), /\/surveys\/\d+\/edit$/);
  surveyId = page.url().match(/\/surveys\/(\d+)\/edit$/)[1];
  await page.setViewportSize({ width: 1280, height: 900 });
  await shot(page, "editor");
  await page.setViewportSize({ width: 390, height: 844 });
  await noSideways(page, "editor");
  await page.setViewportSize({ width: 1280, height: 900 });

  // Reloaded, the draft has everything.
  await page.reload();
  await page.waitForSelector("[data-testid=recipient-chip]");
  assert.equal(await page.locator("[data-testid=survey-file-item]").count(), 3);
  assert.equal(await page.locator("[data-testid=recipient-chip]").count(), 3);
  assert.equal(await page.locator("[data-testid=field-row]").count(), 3);
  assert.equal(await page.locator("[data-testid=field-inner-row]").count(), 2);
  assert.equal(await page.locator("[data-testid=sheet-column]").count(), 3);
  assert.equal(await page.locator("[data-testid=sheet-column] [data-testid=sheet-kind]").nth(2).inputValue(), "DATE");

  await Promise.all([page.waitForURL(`${server.baseUrl}/surveys/${surveyId}`), page.click("[data-testid=survey-send]")]);
  assert.match(page.dialogs.at(-1), /3 組織に送信します/);
  await page.waitForSelector("[data-testid=dashboard-row]");
  assert.equal(await page.locator("[data-testid=dashboard-row]").count(), 3);
  assert.equal(await count(page, "unopened"), 3);
  assert.equal(await count(page, "total"), 3);
  for (const o of orgs) answerOf[o.key] = await row(page, o).getAttribute("data-answer");
  assert.deepEqual(page.problems, []);

  // The sent box lists it; the search finds it by a word of its body.
  await page.goto(`${server.baseUrl}/surveys?box=sent`);
  await page.waitForSelector("[data-testid=survey-row]");
  assert.match(await page.textContent("[data-testid=survey-row]"), /職員研修/);
  await page.fill("[data-testid=surveys-search]", "総務省");
  await page.click("[data-testid=surveys-search-form] button[type=submit]");
  await page.waitForSelector("[data-testid=surveys-count]:has-text('総務省')");
  assert.equal(await page.locator("[data-testid=survey-row]").count(), 1);
  await page.fill("[data-testid=surveys-search]", "存在しない語");
  await page.click("[data-testid=surveys-search-form] button[type=submit]");
  await page.waitForSelector("[data-testid=surveys-empty]:not([hidden])");
  await page.context().close();
});

test("A opens it from the bell: the dashboard shows 開封済 with A's time", async () => {
  const a = orgs[0];
  const page = await signIn(a.guest, { guest: true });
  let n = 0;
  for (let i = 0; i < 40 && n === 0; i++) {
    n = await bellCount(page);
    if (n === 0) { await new Promise((r) => setTimeout(r, 250)); await page.reload(); }
  }
  assert.ok(n >= 1, "the request is on A's bell");
  // The guest portal links to the received surveys.
  await Promise.all([page.waitForURL(/\/surveys$/), page.click("[data-testid=guest-surveys-link]")]);
  await page.waitForSelector("[data-testid=survey-row]");
  assert.equal(await page.locator("[data-testid=surveys-new]").count(), 0, "guests create no surveys");
  assert.equal(await page.locator("[data-testid=surveys-tab-sent]").count(), 0);
  assert.match(await page.textContent("[data-testid=survey-row]"), /未開封/);
  await Promise.all([page.waitForURL(`${server.baseUrl}/surveys/answers/${answerOf.A}`), page.click("[data-testid=survey-link]")]);
  await page.waitForSelector("[data-testid=answer-title]");
  assert.equal(await page.textContent("[data-testid=answer-title]"), "令和8年度 職員研修の実施状況調査");
  assert.equal(await page.locator("[data-testid=answer-file]").count(), 3);
  const href = await page.locator("[data-testid=answer-file] a").first().getAttribute("href");
  assert.match(href, new RegExp(`^/k/guest/${a.id}/v1/file\\.json`), "the guest downloads through its space's path");
  const file = await page.request.get(server.baseUrl + href);
  assert.equal(file.status(), 200);
  assert.deepEqual(page.problems, []);
  // Another organisation's answer is not found for A.
  await page.goto(`${server.baseUrl}/surveys/answers/${answerOf.B}`);
  await page.waitForSelector("[data-testid=answer-not-found], [data-testid=answer-errors]:not([hidden]), h1");
  assert.equal(await page.locator("[data-testid=answer-title]:visible").count(), 0);
  await page.context().close();

  const office_ = await signIn(office);
  await openDashboard(office_);
  const r = row(office_, a);
  assert.equal(await r.getAttribute("data-state"), "opened");
  assert.match(await r.textContent(), /開封済/);
  assert.match(await r.locator("[data-testid=dashboard-opened]").textContent(), /\d{2}:\d{2}.*田中 一郎/);
  assert.equal(await count(office_, "opened"), 1);
  assert.equal(await count(office_, "unopened"), 2);
  await office_.context().close();
});

test("B answers at phone width and submits; the office returns it; B sees the comment, corrects and resubmits", async () => {
  const b = orgs[1];
  const page = await signIn(b.guest, { guest: true, width: 390 });
  await page.goto(`${server.baseUrl}/surveys/answers/${answerOf.B}`);
  await page.waitForSelector("[data-testid=answer-fields] [data-code=職員数]");
  // Submitting without the required number: the server's message beside the field, nothing submitted.
  await page.click("[data-testid=answer-submit]");
  await page.waitForSelector("[data-testid=answer-errors]:not([hidden])");
  assert.match(await page.textContent("[data-code=職員数] .sv-field-error"), /必須/);
  await page.screenshot({ path: `/tmp/surveys-answer-error-${BACKEND}.png`, fullPage: true });
  assert.match(await page.textContent("[data-testid=answer-meta]"), /開封済/);
  await page.fill("[data-testid=answer-input-職員数]", "１２０");
  await page.fill("[data-testid=answer-input-担当者]", "鈴木 花子");
  await page.fill("[data-testid=answer-subtable-研修実績] [data-testid=answer-input-研修名]", "情報セキュリティ研修");
  await page.fill("[data-testid=answer-subtable-研修実績] [data-testid=answer-input-受講者数]", "45");
  await page.click("[data-testid=answer-row-add-研修実績]");
  await page.locator("[data-testid=answer-subtable-研修実績] [data-testid=answer-input-研修名]").nth(1).fill("接遇研修");
  await page.locator("[data-testid=answer-subtable-研修実績] [data-testid=answer-input-受講者数]").nth(1).fill("30");
  await page.click("[data-testid=answer-save]");
  await page.waitForSelector("[data-testid=answer-status]:not([hidden])");
  assert.match(await page.textContent("[data-testid=answer-meta]"), /回答中/);

  // The sheet: the template downloads; a filled sheet with a word where a number belongs lists the cell.
  const tplHref = await page.getAttribute("[data-testid=answer-sheet-template]", "href");
  assert.match(tplHref, new RegExp(`^/k/guest/${b.id}/v1/file\\.json`));
  const tpl = await page.request.get(server.baseUrl + tplHref);
  assert.equal(tpl.status(), 200);
  assert.equal(readXlsx(await tpl.body())["回答"].A3, "研修名");
  const filled = (count) => makeXlsx({ sheet: "回答", rows: sheetRows([["情報セキュリティ研修", 45, "2026-06-01"], ["接遇研修", count, "2026-07-10"]]) });
  await page.setInputFiles("[data-testid=answer-sheet-file]", { name: "B町_回答.xlsx", mimeType: XLSX_TYPE, buffer: filled("三十") });
  await page.waitForSelector("[data-testid=answer-sheet-problem]");
  assert.match(await page.textContent("[data-testid=answer-sheet-problem]"), /B5.*受講者数.*三十.*数値/);
  await page.setInputFiles("[data-testid=answer-sheet-file]", { name: "B町_回答.xlsx", mimeType: XLSX_TYPE, buffer: filled(30) });
  await page.waitForSelector("[data-testid=answer-sheet-problems]", { state: "hidden" });
  assert.match(await page.textContent("[data-testid=answer-sheet-current]"), /B町_回答\.xlsx/);
  await noSideways(page, "answer page");
  await shot(page, "answer-phone");

  await page.click("[data-testid=answer-submit]");
  await page.waitForSelector("[data-testid=answer-readonly]:not([hidden])");
  assert.match(page.dialogs.at(-1), /提出します/);
  assert.match(await page.textContent("[data-testid=answer-meta]"), /回答済/);
  assert.equal(await page.locator("[data-testid=answer-save]:visible").count(), 0, "read-only after submitting");
  assert.match(await page.textContent("[data-testid=answer-value-職員数]"), /120/);

  // The office returns B's answer with a comment.
  const o = await signIn(office);
  await openDashboard(o);
  assert.equal(await row(o, b).getAttribute("data-state"), "submitted");
  assert.match(await row(o, b).locator("[data-testid=dashboard-submitted]").textContent(), /鈴木 花子/);
  await row(o, b).locator("[data-testid=answer-return]").click();
  await o.fill("[data-testid=survey-dialog-text]", "職員数は4月1日現在の人数で回答してください。");
  await o.click("[data-testid=survey-dialog-ok]");
  await o.waitForSelector(`[data-testid=dashboard-row][data-org='${b.space}'][data-state=returned], [data-testid=dashboard-error]:not([hidden])`);
  assert.equal(await o.isVisible("[data-testid=dashboard-error]"), false, await o.textContent("[data-testid=dashboard-error]"));
  assert.equal(await count(o, "returned"), 1);

  // B sees the comment, corrects and submits again.
  await page.reload();
  await page.waitForSelector("[data-testid=answer-return-comment]:not([hidden])");
  assert.match(await page.textContent("[data-testid=answer-return-comment]"), /4月1日現在/);
  assert.match(await page.textContent("[data-testid=answer-meta]"), /差戻し/);
  await page.fill("[data-testid=answer-input-職員数]", "118");
  await page.click("[data-testid=answer-submit]");
  await page.waitForSelector("[data-testid=answer-readonly]:not([hidden])");
  assert.match(await page.textContent("[data-testid=answer-meta]"), /回答済/);
  assert.ok(await page.locator("[data-testid=answer-event][data-action=returned]").count() >= 1, "the history shows the return");
  await page.setViewportSize({ width: 390, height: 844 });
  await noSideways(page, "answer page, submitted");
  await shot(page, "answer-phone-submitted");
  assert.deepEqual(page.problems, []);
  await page.context().close();

  await openDashboard(o);
  assert.equal(await row(o, b).getAttribute("data-state"), "submitted");
  assert.equal(await count(o, "submitted"), 1);
  assert.equal(await count(o, "returned"), 0);
  await o.context().close();
});

test("C is late; the office reminds everyone not answered and C's bell shows it", async () => {
  const c = orgs[2];
  const o = await signIn(office);
  await openDashboard(o);
  // C's deadline moved into the past: C is late, with the word 遅延 on its row.
  await row(o, c).locator("[data-testid=answer-extend]").click();
  const past = new Date(Date.now() - 86400000);
  const pad = (n) => String(n).padStart(2, "0");
  await o.fill("[data-testid=survey-dialog-date]", `${past.getFullYear()}-${pad(past.getMonth() + 1)}-${pad(past.getDate())}`);
  await o.fill("[data-testid=survey-dialog-time]", "09:00");
  await o.click("[data-testid=survey-dialog-ok]");
  await o.waitForSelector(`[data-testid=dashboard-row][data-org='${c.space}'][data-late=true]`);
  assert.match(await row(o, c).textContent(), /遅延/);
  assert.equal(await count(o, "late"), 1);

  const guest = await signIn(c.guest, { guest: true });
  const before_ = await bellCount(guest);
  const toC = () => smtp.messages.filter((m) => m.to.includes(c.guest.code) && decoded(m.data).includes(`/surveys/answers/${answerOf.C}`));
  // The request's own mail came first.
  for (let i = 0; i < 80 && toC().length === 0; i++) await new Promise((r) => setTimeout(r, 250));
  assert.ok(toC().length >= 1, "C was mailed the request");
  assert.ok(!toC().some((m) => decoded(m.data).includes(`${c.space} — `)), "no reminder before reminding");
  assert.equal(await o.getAttribute("[data-testid=dashboard-remind]", "data-n"), "2", "A and C have not answered");
  await o.click("[data-testid=dashboard-remind]");
  await o.waitForFunction(() => /督促しました/.test(document.querySelector("[data-testid=dashboard-status]").textContent));
  assert.match(o.dialogs.at(-1), /2 組織/);
  assert.match(await o.textContent("[data-testid=dashboard-status]"), /2 組織に督促しました/);

  let n = before_;
  for (let i = 0; i < 40 && n <= before_; i++) {
    await new Promise((r) => setTimeout(r, 250));
    await guest.reload();
    n = await bellCount(guest);
  }
  assert.ok(n > before_, "the reminder is on C's bell");
  // And in C's mailbox: a message to C naming the answer's page.
  // The reminder's text names the organisation and its due time ("C村 — <due>"), unlike the
  // request's and the deadline's mails.
  const reminder = () => toC().find((m) => decoded(m.data).includes(`${c.space} — `));
  for (let i = 0; i < 80 && !reminder(); i++) await new Promise((r) => setTimeout(r, 250));
  assert.ok(reminder(), `a reminder mail reached C (${toC().length} mails to C of ${smtp.messages.length})`);
  assert.match(decoded(reminder().data), /職員研修の実施状況調査/);
  await guest.goto(server.baseUrl + "/notifications");
  const link = guest.locator(`a[href='/surveys/answers/${answerOf.C}']`).first();
  await Promise.all([guest.waitForURL(`${server.baseUrl}/surveys/answers/${answerOf.C}`), link.click()]);
  await guest.waitForSelector("[data-testid=answer-title]");
  assert.match(await guest.textContent("[data-testid=answer-meta]"), /遅延/);
  await guest.context().close();

  // The counts: A opened, B submitted, C opened now and late; the table sorts by state.
  await openDashboard(o);
  assert.equal(await count(o, "total"), 3);
  assert.equal(await count(o, "submitted"), 1);
  assert.equal(await count(o, "opened"), 2);
  assert.equal(await count(o, "unopened"), 0);
  assert.equal(await count(o, "late"), 1);
  await o.click("[data-testid=sort-organisation]");
  await o.waitForSelector("th[data-sort=organisation][aria-sort=ascending]");
  assert.deepEqual(await o.$$eval("[data-testid=dashboard-row]", (rs) => rs.map((r) => r.getAttribute("data-org"))), ["A市", "B町", "C村"]);
  await o.click("[data-testid=sort-organisation]");
  await o.waitForSelector("th[data-sort=organisation][aria-sort=descending]");
  assert.deepEqual(await o.$$eval("[data-testid=dashboard-row]", (rs) => rs.map((r) => r.getAttribute("data-org"))), ["C村", "B町", "A市"]);
  // The exports: the answer fields as XLSX and Shift_JIS CSV, the sheets merged into one workbook.
  const get = async (testid) => {
    const href = await o.getAttribute(`[data-testid=${testid}]`, "href");
    assert.match(href, new RegExp(`id=${surveyId}`));
    const r = await o.request.get(server.baseUrl + href);
    assert.equal(r.status(), 200, `${testid}: ${await r.text()}`);
    return r.body();
  };
  const fieldsBook = readXlsx(await get("export-fields-xlsx"));
  const fieldsCells = Object.values(fieldsBook)[0];
  const values = Object.values(fieldsCells);
  assert.ok(values.includes("B町") && values.includes("118") && values.includes("接遇研修"), JSON.stringify(fieldsCells));
  const csv = new TextDecoder("shift_jis").decode(await get("export-fields-csv-shift_jis"));
  assert.match(csv, /B町/);
  assert.match(csv, /情報セキュリティ研修/);
  const sheetBook = readXlsx(await get("export-sheet-xlsx"));
  const merged = Object.values(sheetBook)[0];
  const mergedRows = Object.entries(merged).filter(([cell, v]) => cell.startsWith("A") && v === "B町").map(([cell]) => cell.slice(1));
  assert.equal(mergedRows.length, 2, "B's two sheet rows, the organisation in the first column: " + JSON.stringify(merged));
  assert.deepEqual(mergedRows.map((r) => merged["B" + r]), ["情報セキュリティ研修", "接遇研修"]);
  assert.deepEqual(mergedRows.map((r) => Number(merged["C" + r])), [45, 30]);
  await shot(o, "dashboard");
  await o.setViewportSize({ width: 390, height: 844 });
  await noSideways(o, "dashboard");
  await shot(o, "dashboard-phone");
  await o.setViewportSize({ width: 1280, height: 900 });
  // The office reads B's answer from its row: read-only, with the way back to the dashboard.
  await Promise.all([o.waitForURL(`${server.baseUrl}/surveys/answers/${answerOf.B}`), row(o, orgs[1]).locator("[data-testid=answer-open]").click()]);
  await o.waitForSelector("[data-testid=answer-readonly]:not([hidden])");
  assert.match(await o.textContent("[data-testid=answer-value-職員数]"), /118/);
  assert.equal(await o.getAttribute(".breadcrumbs a", "href"), `/surveys/${surveyId}`);
  assert.deepEqual(o.problems, []);
  await o.context().close();
});

test("a saved list of the three organisations; the office accepts B and closes the survey; A's page is read-only", async () => {
  const o = await signIn(office);
  await o.goto(`${server.baseUrl}/surveys/lists`);
  await o.waitForSelector("[data-testid=lists-empty]:not([hidden])");
  await o.waitForSelector("[data-testid=recipient-org]");
  await o.fill("[data-testid=lists-name]", "県内3市町村");
  for (const org of orgs) await o.check(`[data-testid=recipient-org][data-key='space:${org.id}']`);
  await o.click("[data-testid=lists-save]");
  await o.waitForSelector("[data-testid=lists-item]");
  assert.match(await o.textContent("[data-testid=lists-item]"), /県内3市町村.*3 組織/);
  assert.match(await o.textContent("[data-testid=lists-item]"), /A市、B町、C村/);
  // The editor offers it and adds its organisations.
  await o.goto(`${server.baseUrl}/surveys/new`);
  await o.waitForSelector("[data-testid=recipient-org]");
  await o.selectOption("[data-testid=survey-list-select]", { label: "県内3市町村（3 組織）" });
  await o.click("[data-testid=survey-list-add]");
  assert.equal(await o.locator("[data-testid=recipient-chip]").count(), 3);

  // In English too, with no catalog key left untranslated.
  await openDashboard(o);
  await Promise.all([o.waitForEvent("load"), o.click("[data-testid=switch-language]")]);
  await o.waitForSelector("[data-testid=dashboard-row]");
  assert.match(await o.textContent("[data-testid=count-submitted]"), /Submitted/);
  assert.match(await o.textContent("[data-testid=dashboard-remind]"), /Remind/);
  assert.doesNotMatch(await o.textContent("main"), /surveys\./);
  await o.screenshot({ path: `/tmp/surveys-dashboard-en-${BACKEND}.png`, fullPage: true });
  await Promise.all([o.waitForEvent("load"), o.click("[data-testid=switch-language]")]);
  await o.waitForSelector("[data-testid=dashboard-row]");
  await row(o, orgs[1]).locator("[data-testid=answer-accept]").click();
  await o.waitForSelector(`[data-testid=dashboard-row][data-org='B町'][data-state=accepted]`);
  assert.equal(await count(o, "accepted"), 1);
  await o.click("[data-testid=dashboard-close]");
  await o.waitForFunction(() => /締め切りました/.test(document.querySelector("[data-testid=dashboard-status]").textContent));
  await o.waitForFunction(() => /締切済/.test(document.querySelector("[data-testid=dashboard-meta]").textContent));
  assert.equal(await o.isVisible("[data-testid=dashboard-remind]") && await o.isEnabled("[data-testid=dashboard-remind]"), false, "no reminding after closing");
  // Next year's request starts as a copy: the new draft's editor, with the request and its fields.
  await o.click("[data-testid=dashboard-copy]");
  await o.waitForFunction((id) => /\/surveys\/\d+\/edit$/.test(location.pathname) && !location.pathname.startsWith(`/surveys/${id}/`), surveyId);
  await o.waitForSelector("[data-testid=survey-title]");
  await o.waitForFunction(() => document.querySelector("[data-testid=survey-title]").value !== "");
  assert.equal(await o.inputValue("[data-testid=survey-title]"), "令和8年度 職員研修の実施状況調査");
  assert.equal(await o.locator("[data-testid=field-row]").count(), 3);
  assert.equal(await o.locator("[data-testid=survey-file-item]").count(), 3);
  assert.deepEqual(o.problems, []);
  await o.context().close();

  const a = await signIn(orgs[0].guest, { guest: true, width: 390 });
  await a.goto(`${server.baseUrl}/surveys/answers/${answerOf.A}`);
  await a.waitForSelector("[data-testid=answer-readonly]:not([hidden])");
  assert.match(await a.textContent("[data-testid=answer-readonly]"), /締め切られました/);
  assert.equal(await a.locator("[data-testid=answer-submit]:visible").count(), 0);
  await noSideways(a, "closed answer page");
  await a.context().close();
});
