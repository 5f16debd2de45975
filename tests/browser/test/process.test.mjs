// Case management in the browser: a request moves 受付 → 対応中 → 完了 through the action buttons of
// the record page, with the next assignee chosen on the way, and a branch for urgent requests.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD, submitAndLoad } from "../lib.mjs";

let server, browser, app;
async function api(method, path, body) {
  const headers = { "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" };
  const r = await fetch(server.baseUrl + "/k/v1/" + path, { method, headers, body: body && JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${JSON.stringify(j)}`);
  return j;
}

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
  ({ app } = await api("POST", "preview/app.json", { name: "相談案件管理" }));
  await api("POST", "preview/app/form/fields.json", { app, properties: {
    件名: { type: "SINGLE_LINE_TEXT", code: "件名", label: "件名" },
    優先度: { type: "DROP_DOWN", code: "優先度", label: "優先度", options: { 通常: { label: "通常", index: "0" }, 高: { label: "高", index: "1" } } },
  } });
  const admin = { type: "ONE", entities: [{ entity: { type: "USER", code: "Administrator" } }] };
  await api("PUT", "preview/app/status.json", { app, enable: true,
    states: {
      受付: { name: "受付", index: "0" },
      至急対応: { name: "至急対応", index: "1", assignee: admin },
      対応中: { name: "対応中", index: "2", assignee: admin },
      完了: { name: "完了", index: "3" },
    },
    actions: [
      { name: "対応開始", from: "受付", to: "至急対応", filterCond: '優先度 in ("高")' },
      { name: "対応開始", from: "受付", to: "対応中" },
      { name: "完了にする", from: "対応中", to: "完了" },
      { name: "完了にする", from: "至急対応", to: "完了" },
    ] });
  await api("POST", "preview/app/deploy.json", { apps: [{ app }] });
});
after(async () => { await browser?.close(); await server?.stop(); });

async function runAction(page, index) {
  await page.waitForSelector(`[data-testid=process-action-${index}]`);
  await submitAndLoad(page, () => page.click(`[data-testid=process-action-${index}]`));
}

test("a request moves through its statuses from the record page", async () => {
  const { id } = await api("POST", "record.json", { app, record: { 件名: { value: "窓口のデジタル化" }, 優先度: { value: "通常" } } });
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}/records/${id}`);
  await page.waitForSelector("[data-testid=process-status]");
  assert.equal(await page.textContent("[data-testid=process-status]"), "受付");
  await page.selectOption("[data-testid=process-assignee-0]", "Administrator");
  await runAction(page, 0);
  await page.waitForSelector("[data-testid=process-status]:has-text('対応中')");
  assert.match(await page.textContent("[data-testid=process-assignees]"), /Administrator/);
  await runAction(page, 0);
  await page.waitForSelector("[data-testid=process-status]:has-text('完了')");
  const { record } = await api("GET", `record.json?app=${app}&id=${id}`);
  assert.equal(record.Status.value, "完了");
  assert.deepEqual(page.problems, []);
});

test("an urgent request takes the branch", async () => {
  const { id } = await api("POST", "record.json", { app, record: { 件名: { value: "障害対応" }, 優先度: { value: "高" } } });
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${app}/records/${id}`);
  await runAction(page, 0);
  await page.waitForSelector("[data-testid=process-status]:has-text('至急対応')");
});
