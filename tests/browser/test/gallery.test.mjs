// The template gallery in the browser (issue 17 part 5): from the portal go to 「テンプレートから作成」,
// open the 備品貸出 template's preview, create the app with its sample records in one click, and add
// a record in the new app's form. Also the gallery at phone width. Screenshots in /tmp/gallery-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage } from "../lib.mjs";

let server, browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

test("a template from the gallery becomes an app that takes a record", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.goto(`${server.baseUrl}/`);
  await page.click("[data-testid=portal-gallery-link]");
  await page.waitForSelector("[data-testid=gallery-list]");
  assert.ok(await page.locator("[data-testid=gallery-list] .gallery-card").count() >= 15);
  await page.screenshot({ path: "/tmp/gallery-list-1280.png", fullPage: true });

  await page.click("[data-testid=gallery-card-equipment-loans] .gallery-link");
  await page.waitForSelector("[data-testid=gallery-detail-name]");
  assert.equal(await page.textContent("[data-testid=gallery-detail-name]"), "備品貸出");
  assert.match(await page.textContent("[data-testid=gallery-states]"), /貸出中/);
  assert.equal(await page.locator("[data-testid=gallery-samples] tbody tr").count(), 5);
  await page.screenshot({ path: "/tmp/gallery-detail-1280.png", fullPage: true });

  await page.click("[data-testid=gallery-create]");
  await page.waitForURL(/\/apps\/\d+$/);
  const appUrl = page.url();
  await page.screenshot({ path: "/tmp/gallery-app-1280.png" });

  await page.goto(`${appUrl}/records/new`);
  await page.fill("[data-testid=field-貸出番号]", "R8-貸-900");
  await page.fill("[data-testid=field-申請者]", "試験 太郎");
  await page.selectOption("[data-testid=field-所属課]", "総務課");
  await page.selectOption("[data-testid=field-備品]", "プロジェクター");
  await page.fill("[data-testid=field-数量]", "1");
  await page.fill("[data-testid=field-貸出日]", "2026-12-10");
  await page.fill("[data-testid=field-返却予定日]", "2026-12-11");
  await page.click("[data-testid=save-record]");
  await page.waitForSelector("[data-testid=saved-message]");
  await page.screenshot({ path: "/tmp/gallery-record-1280.png", fullPage: true });

  await page.goto(appUrl);
  await page.waitForSelector("text=R8-貸-900");
  await page.close();
});

test("the gallery is usable at phone width", async () => {
  const page = await signedInPage(browser, server.baseUrl);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${server.baseUrl}/gallery`);
  await page.waitForSelector("[data-testid=gallery-list]");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling (${overflow}px)`);
  await page.screenshot({ path: "/tmp/gallery-list-390.png" });
  await page.goto(`${server.baseUrl}/gallery/security-self-check`);
  await page.waitForSelector("[data-testid=gallery-fields]");
  await page.screenshot({ path: "/tmp/gallery-detail-390.png", fullPage: true });
  await page.close();
});
