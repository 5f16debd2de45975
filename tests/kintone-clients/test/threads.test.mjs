// Thread posts through the official client (issue 13, threads part): addThreadComment with a
// mention and an uploaded file, read back through Kumiki's /api, the file downloaded by a member
// and refused to someone outside the private space. The space and its thread are seeded straight
// into the database (the spaces part owns their API).

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fixture, passwordClient, adminClient, rejection } from "./helpers.mjs";

const bob = { username: "bob-threads", password: "bob-Passw0rd!-threads" };
const SPACE = 9301;

function sql(statement) {
  const { dataDir, databaseUrl } = fixture.db;
  if (databaseUrl) {
    return execFileSync("psql", [databaseUrl, "-qAtc", statement], { encoding: "utf8" });
  }
  return execFileSync("sqlite3", [join(dataDir, "kumiki.db"), statement], { encoding: "utf8" });
}

function kumikiCli(...args) {
  const common = ["--data-dir", fixture.db.dataDir];
  if (fixture.db.databaseUrl) common.push("--database-url", fixture.db.databaseUrl);
  const env = { ...process.env, RUST_LOG: "warn" };
  delete env.KUMIKI_DATA_DIR;
  delete env.KUMIKI_DATABASE_URL;
  return execFileSync(process.env.KUMIKI_BIN, [...common, ...args], { encoding: "utf8", env });
}

async function kumikiApi(user, path) {
  const res = await fetch(`${fixture.baseUrl}${path}`, {
    headers: { "X-Cybozu-Authorization": Buffer.from(`${user.username}:${user.password}`).toString("base64") },
  });
  return { status: res.status, body: await res.json() };
}

test("addThreadComment posts with a mention and a file; members read and download it", async () => {
  kumikiCli("user", "add", bob.username, "--password", bob.password);
  const alice = fixture.users.alice;
  sql(`INSERT INTO spaces (id, name, is_guest, is_private, created_at) VALUES (${SPACE}, 'clients-room', FALSE, TRUE, 0)`);
  for (const member of [alice.username, bob.username]) {
    sql(`INSERT INTO space_members (space_id, entity_type, code, is_admin, include_subs) VALUES (${SPACE}, 'USER', '${member}', FALSE, FALSE)`);
  }
  sql(`INSERT INTO space_threads (space_id, name, creator, created_at, modified_at) VALUES (${SPACE}, 'clients-thread', 'Administrator', 0, 0)`);
  const thread = sql(`SELECT max(id) FROM space_threads WHERE space_id = ${SPACE}`).trim();

  const client = passwordClient(alice.username, alice.password);
  const { fileKey } = await client.file.uploadFile({ file: { name: "議事録.txt", data: "会議の記録" } });
  const { id } = await client.space.addThreadComment({
    space: SPACE,
    thread,
    comment: {
      text: "資料です <b>確認</b> お願いします",
      mentions: [{ code: bob.username, type: "USER" }],
      files: [{ fileKey }],
    },
  });
  assert.match(id, /^\d+$/);

  const listed = await kumikiApi(bob, `/api/space/thread/comments.json?space=${SPACE}&thread=${thread}`);
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  const post = listed.body.comments[0];
  assert.equal(post.id, id);
  assert.equal(post.author.code, alice.username);
  assert.match(post.html, /&lt;b&gt;確認&lt;\/b&gt;/, "kintone's text is plain text");
  assert.deepEqual(post.mentions, [{ code: bob.username, type: "USER" }]);
  assert.equal(post.files[0].name, "議事録.txt");

  const bobClient = passwordClient(bob.username, bob.password);
  const bytes = await bobClient.file.downloadFile({ fileKey });
  assert.equal(Buffer.from(bytes).toString("utf8"), "会議の記録");

  // The Administrator is not a member of this private space: the space is not found for them and
  // the post's file is unknown.
  const admin = adminClient();
  const refused = await rejection(admin.space.addThreadComment({ space: SPACE, thread, comment: { text: "x" } }));
  assert.equal(refused.code, "GAIA_SP01");
  // downloadFile asks for bytes, so the client does not parse the JSON error body: check the status
  // there and the code with a plain call.
  const noFile = await rejection(admin.file.downloadFile({ fileKey }));
  assert.equal(noFile.status, 404);
  const raw = await kumikiApi(fixture.admin, `/k/v1/file.json?fileKey=${fileKey}`);
  assert.equal(raw.status, 404);
  assert.equal(raw.body.code, "GAIA_BL01");

  // A mention of someone unknown is refused with kintone's validation error.
  const unknown = await rejection(
    client.space.addThreadComment({ space: SPACE, thread, comment: { text: "x", mentions: [{ code: "nobody", type: "USER" }] } }),
  );
  assert.equal(unknown.code, "CB_VA01");
  assert.ok(unknown.errors["comment.mentions[0].code"], JSON.stringify(unknown.errors));
});
