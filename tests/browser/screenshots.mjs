// Regenerates docs/screenshots/*.png from a fresh server with the example apps:
//   cargo build -p kumiki-platform && node tests/browser/screenshots.mjs
import { mkdirSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, launchBrowser, signedInPage } from "./lib.mjs";

const OUT = resolve(dirname(fileURLToPath(import.meta.url)), "../../docs/screenshots");
mkdirSync(OUT, { recursive: true });

/** The search results page, once the index has caught up with the example records. */
async function searchShot(page, baseUrl) {
  const csrf = await page.evaluate(() => JSON.parse(document.getElementById("kumiki-session").textContent));
  for (let i = 0; i < 300; i++) {
    const s = await page.request.get(baseUrl + "/api/search/status.json", { headers: { "X-CSRF-Token": csrf } })
      .then((r) => r.json()).catch(() => ({}));
    if (s.lagRows === 0 && s.appliedSeq === s.logHead) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.goto(baseUrl + "/search?q=" + encodeURIComponent("情報セキュリティ"));
  await page.screenshot({ path: join(OUT, "search.png") });
  console.log("wrote search.png");
}

const server = await startServer();
const browser = await launchBrowser();
try {
  const anonymous = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "ja-JP" })).newPage();
  await anonymous.goto(server.baseUrl + "/login");
  await anonymous.screenshot({ path: join(OUT, "login.png") });

  const page = await signedInPage(browser, server.baseUrl);
  const shots = [
    ["portal", "/"],
    ["record-list", "/apps/2"],
    ["record-detail", "/apps/1/records/1"],
    ["record-edit", "/apps/1/records/1/edit"],
    ["calendar", "/apps/1/calendar"],
    ["form-designer", "/apps/1/settings"],
    ["general-settings", "/apps/1/general"],
    ["view-settings", "/apps/1/views"],
    ["process-settings", "/apps/1/process"],
    ["review", "/apps/1/review"],
  ];
  for (const [name, path] of shots) {
    const resp = await page.goto(server.baseUrl + path).catch((e) => { console.warn(`skipped ${name}: ${e.message}`); return null; });
    if (!resp || resp.status() !== 200) { console.warn(`skipped ${name}: ${path} answered ${resp?.status()}`); continue; }
    await page.waitForLoadState("networkidle");
    await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: false });
    console.log(`wrote ${name}.png`);
  }
  await searchShot(page, server.baseUrl);
  const phone = await signedInPage(browser, server.baseUrl, { width: 375, height: 740 });
  await phone.goto(server.baseUrl + "/");
  await phone.screenshot({ path: join(OUT, "portal-phone.png") });
  await phone.goto(server.baseUrl + "/apps/2");
  await phone.waitForLoadState("networkidle");
  await phone.screenshot({ path: join(OUT, "record-list-phone.png") });
} finally {
  await browser.close();
  await server.stop();
}
