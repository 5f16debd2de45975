// Searching in the browser: type a Japanese word in the header box, see the hit with its match
// highlighted, narrow to one app from the per-app counts, open the record; search inside one app from
// its record list.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser, appId, otherId, recordId;
const auth = () => ({ "X-Cybozu-Authorization": Buffer.from("Administrator:" + ADMIN_PASSWORD).toString("base64"), "Content-Type": "application/json" });
async function call(method, path, body) {
  const resp = await fetch(server.baseUrl + path, { method, headers: auth(), body: body && JSON.stringify(body) });
  const json = await resp.json();
  if (!resp.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}
const api = (method, path, body) => call(method, "/k/v1/" + path, body);

async function textApp(name) {
  const { app } = await api("POST", "preview/app.json", { name });
  await api("POST", "preview/app/form/fields.json", { app, properties: {
    件名: { type: "SINGLE_LINE_TEXT", code: "件名", label: "件名" },
    内容: { type: "MULTI_LINE_TEXT", code: "内容", label: "内容" },
  } });
  await api("POST", "preview/app/deploy.json", { apps: [{ app }] });
  for (let i = 0; i < 50; i++) {
    const { apps } = await api("GET", `preview/app/deploy.json?apps[0]=${app}`);
    if (apps[0].status === "SUCCESS") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return app;
}

async function waitIndexed() {
  for (let i = 0; i < 200; i++) {
    const s = await call("GET", "/api/search/status.json");
    if (s.lagRows === 0 && s.appliedSeq === s.logHead) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the search index did not catch up");
}

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
  appId = await textApp("住民相談");
  otherId = await textApp("庁内連絡");
  ({ id: recordId } = await api("POST", "record.json", { app: appId, record: { 件名: { value: "粗大ごみの回収について" }, 内容: { value: "市町村の窓口で受付" } } }));
  await api("POST", "record.json", { app: appId, record: { 件名: { value: "道路の補修" }, 内容: { value: "<b>至急</b>" } } });
  await api("POST", "record.json", { app: otherId, record: { 件名: { value: "ごみ収集日程の変更" }, 内容: { value: "" } } });
  await waitIndexed();
});
after(async () => { await browser?.close(); await server?.stop(); });

test("the header box finds a Japanese word and highlights it", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.fill("[data-testid=header-search]", "ごみ");
  await Promise.all([page.waitForURL(/\/search\?q=/), page.press("[data-testid=header-search]", "Enter")]);
  const hits = page.locator("[data-testid=search-hit]");
  assert.equal(await hits.count(), 2);
  const marks = await page.locator("[data-testid=search-snippet] mark").allTextContents();
  assert.ok(marks.some((m) => m.includes("ごみ")), JSON.stringify(marks));
  assert.equal(await page.locator("[data-testid=search-facet]").count(), 2, "counts per app");
  // One app from its count; then open the record.
  await Promise.all([page.waitForURL(new RegExp(`app=${appId}`)), page.locator("[data-testid=search-facet]", { hasText: "住民相談" }).click()]);
  assert.equal(await hits.count(), 1);
  await Promise.all([page.waitForURL(new RegExp(`/apps/${appId}/records/${recordId}$`)), page.click("[data-testid=search-hit-link]")]);
  assert.deepEqual(page.problems, []);
});

test("a bad query says what is wrong; markup in records stays text", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(server.baseUrl + "/search");
  await page.fill("[data-testid=search-q]", "\"至急");
  await Promise.all([page.waitForURL(/\/search\?/), page.click("[data-testid=search-submit]")]);
  assert.match(await page.locator("[data-testid=search-error]").textContent(), /引用符/);
  await page.fill("[data-testid=search-q]", "至急");
  await Promise.all([page.waitForURL(/\/search\?/), page.click("[data-testid=search-submit]")]);
  const snippet = page.locator("[data-testid=search-snippet]");
  assert.match(await snippet.textContent(), /<b>/);
  assert.equal(await snippet.locator("b").count(), 0);
  assert.deepEqual(page.problems, []);
});

test("a record list searches within its app", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/apps/${otherId}`);
  // The list's one box: typing offers the full-text search of this app (comments and files too).
  await page.fill("[data-testid=quick-search]", "ごみ");
  await Promise.all([page.waitForURL(/\/search\?/), page.click("[data-testid=fulltext-link]")]);
  assert.equal(await page.locator("[data-testid=search-hit]").count(), 1);
  assert.match(await page.locator("[data-testid=search-hit-link]").textContent(), /収集日程/);
  assert.equal(await page.locator("[data-testid=search-app]").inputValue(), String(otherId));
  assert.deepEqual(page.problems, []);
});

test("a hit names where the words were found: the field, or the attached file by its name", async () => {
  const { app } = await api("POST", "preview/app.json", { name: "文書保管" });
  await api("POST", "preview/app/form/fields.json", { app, properties: {
    件名: { type: "SINGLE_LINE_TEXT", code: "件名", label: "件名" },
    添付: { type: "FILE", code: "添付", label: "添付資料" },
  } });
  await api("POST", "preview/app/deploy.json", { apps: [{ app }] });
  for (let i = 0; i < 50; i++) {
    const { apps } = await api("GET", `preview/app/deploy.json?apps[0]=${app}`);
    if (apps[0].status === "SUCCESS") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const form = new FormData();
  form.append("file", new Blob(["駒ヶ根市からの粗大ごみ回収日程の照会"], { type: "text/plain" }), "回収日程の照会.txt");
  const { ["Content-Type"]: _, ...headers } = auth();
  const upload = await fetch(server.baseUrl + "/k/v1/file.json", { method: "POST", headers, body: form });
  const { fileKey } = await upload.json();
  await api("POST", "record.json", { app, record: { 件名: { value: "照会文書" }, 添付: { value: [{ fileKey }] } } });
  await waitIndexed();
  for (const [width, height] of [[1280, 900], [390, 844]]) {
    const page = await signedInPage(browser, server.baseUrl);
    await page.setViewportSize({ width, height });
    await page.goto(`${server.baseUrl}/search?q=${encodeURIComponent("駒ヶ根 回収")}`);
    const hit = page.locator("[data-testid=search-hit]");
    assert.equal(await hit.count(), 1);
    assert.equal(await hit.locator("[data-testid=search-hit-badge]").textContent(), "添付資料");
    assert.match(await hit.locator("[data-testid=search-hit-file]").textContent(), /回収日程の照会\.txt/);
    assert.match(await hit.locator("[data-testid=search-hit-link]").textContent(), /照会文書/);
    assert.match(await hit.locator("[data-testid=search-snippet]").textContent(), /駒ヶ根市/);
    await page.screenshot({ path: `/tmp/search-file-hit-${width}.png`, fullPage: true });
    assert.deepEqual(page.problems, []);
    await page.close();
  }
});
