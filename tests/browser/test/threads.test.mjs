// Threads in the browser (issue 13, scenario 7): 山田 makes a private space with 鈴木 as a member and
// opens its thread; she posts with a mention of 鈴木 (picked by name) and an attached file. 鈴木 sees
// the bell count in the header and the unread thread on the portal and the space page, opens the thread (which reads
// it), downloads the file, finds the mention in the bell list and opening it clears the bell.
// 山田 reloads and sees 既読 1 on her post, and clicking it names 鈴木. Then replying, editing and
// deleting one's own post. Screenshots at desktop and phone width (no sideways scrolling at 390px).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, ADMIN_PASSWORD } from "../lib.mjs";

const BACKEND = process.env.KUMIKI_BACKEND || "sqlite";
const yamada = { code: "yamada", name: "山田 花子", password: "yamada-password-1" };
const suzuki = { code: "suzuki", name: "鈴木 一郎", password: "suzuki-password-1" };
let server, browser, spaceId, threadId;

async function call(method, path, body, who = { code: "Administrator", password: ADMIN_PASSWORD }) {
  const headers = { "X-Cybozu-Authorization": Buffer.from(`${who.code}:${who.password}`).toString("base64"), "Content-Type": "application/json" };
  const r = await fetch(server.baseUrl + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const json = await r.json();
  assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

async function signIn(user, width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, locale: "ja-JP", acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("response", (r) => { if (r.status() >= 500) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on("request", (r) => { if (!r.url().startsWith(server.baseUrl) && !r.url().startsWith("data:")) problems.push("outside request: " + r.url()); });
  page.on("dialog", (d) => d.accept());
  page.problems = problems;
  await page.goto(server.baseUrl + "/login");
  await page.fill("input[name=login]", user.code);
  await page.fill("input[name=password]", user.password);
  await Promise.all([page.waitForURL(server.baseUrl + "/"), page.click("form[action='/login'] button[type=submit]")]);
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

async function shoot(page, name) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `/tmp/threads-${name}-${width}-${BACKEND}.png`, fullPage: true });
    if (width === 390) await noSideways(page, name);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

const threadUrl = () => `${server.baseUrl}/spaces/${spaceId}/threads/${threadId}`;

before(async () => {
  server = await startServer({ examples: false });
  browser = await launchBrowser();
  for (const u of [yamada, suzuki]) {
    await call("POST", "/api/org/users.json", { code: u.code, name: u.name, password: u.password, mustChangePassword: false });
  }
  // 山田 makes the space (the spaces part's page is tested in spaces.test.mjs) and a thread in it.
  ({ id: spaceId } = await call("POST", "/api/space.json", {
    name: "広報誌の編集", isPrivate: true, useMultiThread: true,
    members: [{ entity: { type: "USER", code: yamada.code }, isAdmin: true }, { entity: { type: "USER", code: suzuki.code } }],
  }, yamada));
  ({ id: threadId } = await call("POST", "/k/v1/space/thread.json", { space: spaceId, name: "12月号の原稿" }, yamada));
});
after(async () => { await browser?.close(); await server?.stop(); });

test("post with a mention and a file; the member is told, reads it, and the author sees 既読 1", async () => {
  const a = await signIn(yamada);
  // From the space page to the thread.
  await a.goto(`${server.baseUrl}/spaces/${spaceId}`);
  await Promise.all([a.waitForURL(threadUrl()), a.click(`[data-testid=space-thread-${threadId}]`)]);
  assert.equal(await a.textContent("[data-testid=thread-title]"), "12月号の原稿");
  await a.waitForSelector("[data-testid=thread-empty]:not([hidden])");

  await a.fill("[data-testid=thread-text]", "表紙の案を添付します。\n確認をお願いします https://example.com/cover");
  await a.click("[data-testid=thread-mention]");
  await a.fill("[data-testid=thr-pick-search]", "鈴木");
  await a.click(`[data-testid=thr-pick-hits] [data-code=${suzuki.code}]`);
  await a.waitForSelector("[data-testid=thread-mention-chip]");
  assert.match(await a.textContent("[data-testid=thread-mention-chip]"), /@鈴木 一郎/);
  await a.setInputFiles("[data-testid=thread-file]", { name: "表紙案.txt", mimeType: "text/plain", buffer: Buffer.from("表紙は冬の港") });
  await a.waitForFunction(() => {
    const li = document.querySelector("[data-testid=thread-attached]");
    return li && !/アップロード中/.test(li.textContent);
  });
  await shoot(a, "compose");
  await Promise.all([
    a.waitForResponse((r) => r.url().endsWith("/api/space/thread/comment.json") && r.request().method() === "POST" && r.status() === 200),
    a.click("[data-testid=thread-send]"),
  ]);
  await a.waitForSelector("[data-testid=thread-post]");
  const post = a.locator("[data-testid=thread-post]").first();
  const postId = await post.getAttribute("data-id");
  assert.match(await post.textContent(), /表紙の案を添付します/);
  assert.equal(await post.locator("a[href='https://example.com/cover']").count(), 1, "the URL became a link");
  assert.match(await post.textContent(), /@鈴木 一郎/);
  assert.equal(await post.locator("a.thr-file").textContent(), "表紙案.txt");
  assert.equal(await post.locator("[data-testid=thread-read-count]").textContent(), "既読 0");
  // The compose box is empty again.
  assert.equal(await a.inputValue("[data-testid=thread-text]"), "");
  assert.equal(await a.locator("[data-testid=thread-mention-chip]").count(), 0);
  assert.equal(await a.locator("[data-testid=thread-attached]").count(), 0);
  assert.deepEqual(a.problems, []);

  // 鈴木: the bell and the portal's unread block.
  const b = await signIn(suzuki);
  let n = 0;
  for (let i = 0; i < 40 && n === 0; i++) {
    n = await bellCount(b);
    if (n === 0) { await new Promise((r) => setTimeout(r, 250)); await b.reload(); }
  }
  assert.equal(n, 1, "the mention is on the bell");
  await b.waitForSelector("[data-testid=portal-unread]:not([hidden])");
  assert.match(await b.textContent(`[data-testid=portal-unread-space][data-space='${spaceId}']`), /広報誌の編集.*未読 1/);
  const unreadThread = b.locator(`[data-testid=portal-unread-thread][data-thread='${threadId}']`);
  assert.match(await unreadThread.textContent(), /12月号の原稿/);
  await shoot(b, "portal");
  // The space page marks the thread too.
  await b.goto(`${server.baseUrl}/spaces/${spaceId}`);
  await b.waitForSelector(`[data-testid=space-thread-unread-${threadId}]`);
  assert.equal(await b.textContent(`[data-testid=space-thread-unread-${threadId}]`), "未読 1");
  await shoot(b, "space");
  await b.goto(server.baseUrl + "/");

  // Opening the thread reads it.
  await Promise.all([
    b.waitForResponse((r) => r.url().endsWith("/api/space/thread/read.json") && r.status() === 200),
    Promise.all([b.waitForURL(threadUrl()), unreadThread.locator("a").click()]),
  ]);
  const bPost = b.locator(`[data-testid=thread-post][data-id='${postId}']`);
  await bPost.waitFor();
  assert.equal(await bPost.locator("[data-testid=thread-edit]").count(), 0, "no editing of someone else's post");
  assert.equal(await bPost.locator("[data-testid=thread-delete]").count(), 0);
  const href = await bPost.locator("a.thr-file").getAttribute("href");
  const file = await b.request.get(server.baseUrl + href);
  assert.equal(file.status(), 200);
  assert.equal(await file.text(), "表紙は冬の港");
  await b.setViewportSize({ width: 390, height: 844 });
  await b.screenshot({ path: `/tmp/threads-member-390-${BACKEND}.png`, fullPage: true });
  await noSideways(b, "thread page");
  await b.setViewportSize({ width: 1280, height: 900 });
  await b.goto(server.baseUrl + "/");
  await b.waitForTimeout(300);
  assert.equal(await b.locator(`[data-testid=portal-unread-thread][data-thread='${threadId}']`).count(), 0, "the read thread left the unread block");
  await b.goto(`${server.baseUrl}/spaces/${spaceId}`);
  await b.waitForTimeout(300);
  assert.equal(await b.locator(`[data-testid=space-thread-unread-${threadId}]`).count(), 0, "no badge once read");

  // The bell's list: the mention, which opens the post and is then read.
  await b.click("[data-testid=nav-bell]");
  await b.waitForSelector("[data-testid=notify-item].unread");
  const item = b.locator("[data-testid=notify-item]").first();
  assert.match(await item.textContent(), /メンション/);
  assert.match(await item.textContent(), /広報誌の編集 \/ 12月号の原稿/);
  assert.match(await item.textContent(), /山田 花子/, "the poster, by name");
  await Promise.all([b.waitForURL(/\/spaces\/\d+\/threads\/\d+/), item.locator("[data-testid=notify-link]").click()]);
  assert.equal(new URL(b.url()).pathname, `/spaces/${spaceId}/threads/${threadId}`);
  assert.equal(new URL(b.url()).hash, `#post-${postId}`);
  assert.equal(await bellCount(b), 0, "opening the notification read it");
  assert.deepEqual(b.problems, []);

  // 山田 reloads: 既読 1, and the readers are 鈴木.
  await a.reload();
  const readCount = a.locator(`[data-testid=thread-post][data-id='${postId}'] [data-testid=thread-read-count]`);
  await readCount.waitFor();
  assert.equal(await readCount.textContent(), "既読 1");
  await readCount.click();
  await a.waitForSelector("[data-testid=thread-readers][open]");
  assert.match(await a.textContent("[data-testid=thread-readers-list]"), /鈴木 一郎/);
  assert.equal(await a.locator(`[data-testid=thread-readers-list] [data-code=${suzuki.code}]`).count(), 1);
  await shoot(a, "readers");
  await a.click("[data-testid=thread-readers-close]");
  await a.waitForFunction(() => !document.querySelector("[data-testid=thread-readers]").open);
  assert.deepEqual(a.problems, []);
});

test("reply, edit and delete one's own post; at phone width", async () => {
  const b = await signIn(suzuki, 390);
  await b.goto(threadUrl());
  const root = b.locator("[data-testid=thread-post]:not(.thr-reply)").first();
  await root.waitFor();
  const rootId = await root.getAttribute("data-id");
  // Starting a reply and thinking better of it, then replying.
  await root.locator("[data-testid=thread-reply]").first().click();
  assert.match(await b.textContent("[data-testid=thread-replying]"), /山田 花子 さんへの返信/);
  await b.click("[data-testid=thread-reply-cancel]");
  assert.equal(await b.isHidden("[data-testid=thread-replying]"), true);
  await root.locator("[data-testid=thread-reply]").first().click();
  await b.fill("[data-testid=thread-text]", "港の写真、良いですね");
  await Promise.all([
    b.waitForResponse((r) => r.url().endsWith("/api/space/thread/comment.json") && r.request().method() === "POST" && r.status() === 200),
    b.click("[data-testid=thread-send]"),
  ]);
  const reply = b.locator(`#post-${rootId} .thr-reply`);
  await reply.waitFor();
  assert.match(await reply.textContent(), /港の写真、良いですね/);
  assert.equal(await b.isHidden("[data-testid=thread-replying]"), true);
  await noSideways(b, "thread with a reply");

  // Edit the reply.
  await reply.locator("[data-testid=thread-edit]").click();
  await b.fill("[data-testid=thread-edit-text]", "港の写真、とても良いですね");
  await Promise.all([
    b.waitForResponse((r) => r.url().endsWith("/api/space/thread/comment.json") && r.request().method() === "PUT" && r.status() === 200),
    b.click("[data-testid=thread-edit-save]"),
  ]);
  await b.waitForFunction(() => /とても良い/.test(document.querySelector(".thr-reply")?.textContent || ""));
  assert.match(await b.locator(".thr-reply").textContent(), /編集済み/);
  await b.screenshot({ path: `/tmp/threads-reply-390-${BACKEND}.png`, fullPage: true });

  // A post of one's own, then deleting it (the confirm is accepted).
  await b.fill("[data-testid=thread-text]", "誤って送った投稿");
  await Promise.all([
    b.waitForResponse((r) => r.url().endsWith("/api/space/thread/comment.json") && r.request().method() === "POST" && r.status() === 200),
    b.click("[data-testid=thread-send]"),
  ]);
  const mine = b.locator("[data-testid=thread-post]:not(.thr-reply)", { hasText: "誤って送った投稿" });
  await mine.waitFor();
  await Promise.all([
    b.waitForResponse((r) => r.url().endsWith("/api/space/thread/comment.json") && r.request().method() === "DELETE" && r.status() === 200),
    mine.locator("[data-testid=thread-delete]").first().click(),
  ]);
  await b.waitForSelector("[data-testid=thread-post-deleted]");
  assert.equal(await b.locator("[data-testid=thread-post]", { hasText: "誤って送った投稿" }).count(), 0);
  const tombstone = b.locator("[data-testid=thread-post]", { has: b.locator("[data-testid=thread-post-deleted]") });
  assert.equal(await tombstone.locator("[data-testid=thread-reply]").count(), 0, "a deleted post takes no replies");
  // The reply (edited) is still there, under 山田's post.
  assert.match(await b.locator(`#post-${rootId} .thr-reply`).textContent(), /とても良い/);
  await b.screenshot({ path: `/tmp/threads-deleted-390-${BACKEND}.png`, fullPage: true });
  await noSideways(b, "thread after delete");
  assert.deepEqual(b.problems, []);

  // 山田 was told of the reply.
  const a = await signIn(yamada);
  assert.equal(await bellCount(a), 1);
  await a.goto(server.baseUrl + "/notifications");
  assert.match(await a.textContent("[data-testid=notify-item]"), /返信/);
});

test("a long thread shows the newest 20 posts, then older ones on request", async () => {
  const { id: thread } = await call("POST", "/k/v1/space/thread.json", { space: spaceId, name: "連絡帳" }, yamada);
  for (let i = 1; i <= 23; i++) {
    await call("POST", "/k/v1/space/thread/comment.json", { space: spaceId, thread, comment: { text: `連絡 ${i} 件目` } }, yamada);
  }
  const b = await signIn(suzuki);
  await b.goto(`${server.baseUrl}/spaces/${spaceId}/threads/${thread}`);
  await b.waitForSelector("[data-testid=thread-post]");
  assert.equal(await b.locator("[data-testid=thread-post]").count(), 20);
  assert.match(await b.locator("[data-testid=thread-post]").first().textContent(), /連絡 23 件目/);
  await b.click("[data-testid=thread-older]");
  await b.waitForFunction(() => document.querySelectorAll("[data-testid=thread-post]").length === 23);
  assert.match(await b.locator("[data-testid=thread-post]").last().textContent(), /連絡 1 件目/);
  assert.equal(await b.isHidden("[data-testid=thread-older]"), true);
  // Someone outside the private space gets the ordinary "not found".
  await call("POST", "/api/org/users.json", { code: "kato", name: "加藤 三郎", password: "kato-password-1", mustChangePassword: false });
  const k = await signIn({ code: "kato", password: "kato-password-1" });
  assert.equal((await k.goto(`${server.baseUrl}/spaces/${spaceId}/threads/${thread}`)).status(), 404);
  assert.equal((await k.goto(`${server.baseUrl}/spaces/${spaceId}/threads/999999`)).status(), 404);
  assert.deepEqual(b.problems, []);
});
