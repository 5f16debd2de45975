// Test support: start a real Kumiki on a free port with a fresh data directory (and a fresh PostgreSQL
// database when KUMIKI_BACKEND=postgres), and drive Debian's Chromium with playwright-core.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");
export const ADMIN_PASSWORD = "browser-admin-" + randomBytes(4).toString("hex");
const PG = process.env.KUMIKI_BROWSER_PG_URL || "postgres://postgres@127.0.0.1:5432";

function binary() {
  const bin = process.env.KUMIKI_BIN || join(ROOT, "target/debug/kumiki");
  if (!existsSync(bin)) throw new Error(`no kumiki binary at ${bin}; build it with cargo build -p kumiki-platform`);
  return bin;
}

/** Starts a server; resolves to {baseUrl, stop()}. */
export async function startServer({ examples = true, serveArgs = [] } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "kumiki-browser-"));
  const args = ["--data-dir", dataDir];
  let dbName = null;
  if ((process.env.KUMIKI_BACKEND || "sqlite") === "postgres") {
    dbName = "kumiki_browser_" + randomBytes(6).toString("hex");
    execFileSync("psql", [`${PG}/postgres`, "-qAtc", `CREATE DATABASE ${dbName}`]);
    args.push("--database-url", `${PG}/${dbName}`);
  }
  args.push("serve", "--port", "0");
  if (!examples) args.push("--no-examples");
  args.push(...serveArgs); // e.g. the SMTP settings of mail.test.mjs (issue 13)
  const env = { ...process.env, KUMIKI_ADMIN_PASSWORD: ADMIN_PASSWORD, RUST_LOG: "warn" };
  delete env.KUMIKI_DATA_DIR;
  delete env.KUMIKI_DATABASE_URL;
  const child = spawn(binary(), args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const baseUrl = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("server did not start:\n" + log)), 60000);
    const onData = (chunk) => {
      log += chunk.toString();
      const m = log.match(/listening on (http:\/\/localhost:\d+)\//);
      if (m) { clearTimeout(timer); ok(m[1]); }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => { clearTimeout(timer); fail(new Error(`server exited (${code}):\n${log}`)); });
  });
  return {
    baseUrl,
    // Issue 13, guests: tests that must set up what no API makes yet (a guest space) use these.
    dataDir,
    databaseUrl: dbName ? `${PG}/${dbName}` : join(dataDir, "kumiki.db"),
    log: () => log,
    async stop() {
      child.removeAllListeners("exit");
      child.kill("SIGTERM");
      await new Promise((r) => { child.on("exit", r); setTimeout(r, 5000); });
      if (dbName) execFileSync("psql", [`${PG}/postgres`, "-qAtc", `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Launches headless Chromium without any network access beyond the test server. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
}

/** A new page signed in as Administrator. Fails the test on any page error or failed request. */
export async function signedInPage(browser, baseUrl, { width = 1280, height = 900, locale = "ja-JP" } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  // Requests cut short by a navigation (ERR_ABORTED) are normal; anything else is a problem.
  page.on("requestfailed", (r) => { if (!/ERR_ABORTED/.test(r.failure()?.errorText || "")) problems.push("request failed: " + r.url()); });
  page.on("request", (r) => { if (!r.url().startsWith(baseUrl) && !r.url().startsWith("data:")) problems.push("outside request: " + r.url()); });
  page.problems = problems;
  await page.goto(baseUrl + "/login");
  await page.fill("input[name=login]", "Administrator");
  await page.fill("input[name=password]", ADMIN_PASSWORD);
  await Promise.all([page.waitForURL(baseUrl + "/"), page.click("form[action='/login'] button[type=submit]")]);
  return page;
}

/**
 * Submits a form by `act` (a click or a key press) and waits for the page it leads to. Waiting for the
 * "load" state alone resolves at once on the page already loaded, so a check that follows could read
 * the old page when the server is slow; this waits for the main-frame navigation's response first.
 */
export async function submitAndLoad(page, act) {
  const answered = page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().frame() === page.mainFrame());
  await act();
  await answered;
  await page.waitForLoadState("load");
}
