// The space methods of @kintone/rest-api-client against Kumiki (issue 13, spaces part): getSpace,
// updateSpace, updateSpaceBody, getSpaceMembers, updateSpaceMembers, addThread, updateThread,
// addSpaceFromTemplate, app.move, a guest-space client (guestSpaceId), and their errors.
// Spaces are created through Kumiki's `POST /api/space.json` (kintone creates spaces only from
// templates), templates through `POST /api/space/template.json`.

import { before, test } from "node:test";
import assert from "node:assert/strict";
import { KintoneRestAPIClient, KintoneRestAPIError } from "@kintone/rest-api-client";
import { adminClient, fixture, passwordClient, rejection } from "./helpers.mjs";

const client = adminClient();
const alice = fixture.users.alice;
const asAlice = passwordClient(alice.username, alice.password);
let spaceId;

/** A Kumiki `/api/...` call as the Administrator. */
async function kumiki(method, path, body) {
  const auth = Buffer.from(`${fixture.admin.username}:${fixture.admin.password}`).toString("base64");
  const resp = await fetch(`${fixture.baseUrl}${path}`, {
    method,
    headers: { "X-Cybozu-Authorization": auth, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await resp.json();
  assert.equal(resp.status, 200, JSON.stringify(json));
  return json;
}

const admin = (code) => ({ entity: { type: "USER", code }, isAdmin: true });
const member = (code) => ({ entity: { type: "USER", code }, isAdmin: false });

before(async () => {
  const r = await kumiki("POST", "/api/space.json", {
    name: "Client space",
    useMultiThread: true,
    members: [admin("Administrator")],
  });
  spaceId = r.id;
});

test("getSpace returns kintone's space shape", async () => {
  const space = await client.space.getSpace({ id: spaceId });
  assert.equal(space.id, spaceId);
  assert.equal(space.name, "Client space");
  assert.equal(space.isPrivate, false);
  assert.equal(space.useMultiThread, true);
  assert.equal(space.isGuest, false);
  assert.equal(space.fixedMember, false);
  assert.equal(space.memberCount, "1");
  assert.deepEqual(space.creator, { code: "Administrator", name: space.creator.name });
  assert.equal(typeof space.defaultThread, "string");
  assert.deepEqual(space.attachedApps, []);
  assert.deepEqual(space.permissions, { createApp: "EVERYONE" });
});

test("updateSpace and updateSpaceBody change the space; the body is sanitised", async () => {
  assert.deepEqual(
    await client.space.updateSpace({ id: spaceId, name: "Renamed", isPrivate: true, permissions: { createApp: "ADMIN" } }),
    {},
  );
  await client.space.updateSpaceBody({ id: spaceId, body: '<p>Hello<script>alert(1)</script><a href="javascript:x()">l</a></p>' });
  const space = await client.space.getSpace({ id: spaceId });
  assert.equal(space.name, "Renamed");
  assert.equal(space.isPrivate, true);
  assert.equal(space.permissions.createApp, "ADMIN");
  assert.match(space.body, /Hello/);
  assert.doesNotMatch(space.body, /script|javascript:/);
});

test("getSpaceMembers / updateSpaceMembers; a private space is hidden from non-members", async () => {
  const err = await rejection(asAlice.space.getSpace({ id: spaceId }));
  assert.ok(err instanceof KintoneRestAPIError);
  assert.equal(err.code, "GAIA_SP01");
  assert.equal(err.status, 404);

  await client.space.updateSpaceMembers({ id: spaceId, members: [admin("Administrator"), member(alice.username)] });
  const { members } = await client.space.getSpaceMembers({ id: spaceId });
  assert.deepEqual(
    members.map((m) => [m.entity.type, m.entity.code, m.isAdmin]),
    [
      ["USER", "Administrator", true],
      ["USER", alice.username, false],
    ],
  );
  const seen = await asAlice.space.getSpace({ id: spaceId });
  assert.equal(seen.memberCount, "2");

  const noAdmin = await rejection(client.space.updateSpaceMembers({ id: spaceId, members: [member("Administrator")] }));
  assert.equal(noAdmin.code, "CB_VA01");
  const unknown = await rejection(
    client.space.updateSpaceMembers({ id: spaceId, members: [admin("Administrator"), member("no-such-user")] }),
  );
  assert.equal(unknown.code, "CB_VA01");
  assert.ok(unknown.errors["members[1].entity.code"], JSON.stringify(unknown.errors));
  const refused = await rejection(asAlice.space.updateSpace({ id: spaceId, name: "mine" }));
  assert.equal(refused.code, "CB_NO02");
});

test("addThread / updateThread", async () => {
  const { id } = await asAlice.space.addThread({ space: spaceId, name: "Case 1" });
  assert.match(id, /^\d+$/);
  assert.deepEqual(await asAlice.space.updateThread({ id, name: "Case 1 (done)", body: "<b>ok</b>" }), {});
  const space = await client.space.getSpace({ id: spaceId });
  const thread = space.threads.find((t) => t.id === id);
  assert.equal(thread.name, "Case 1 (done)");
  assert.equal(thread.body, "<b>ok</b>");
  const missing = await rejection(client.space.updateThread({ id: "999999", name: "x" }));
  assert.equal(missing.code, "GAIA_TH01");
});

test("addSpaceFromTemplate", async () => {
  const t = await kumiki("POST", "/api/space/template.json", { space: spaceId, name: "Client template" });
  const { id } = await client.space.addSpaceFromTemplate({
    id: t.id,
    name: "From template",
    members: [admin(alice.username)],
    isPrivate: false,
  });
  const space = await asAlice.space.getSpace({ id });
  assert.equal(space.name, "From template");
  assert.equal(space.isPrivate, false);
  assert.equal(space.useMultiThread, true);
  assert.ok(space.threads.some((th) => th.name === "Case 1 (done)"));
});

test("app.move moves an app into a space and out; app.json and apps.json show it", async () => {
  const { app } = await client.app.addApp({ name: "Movable" });
  await client.app.move({ app, space: spaceId });
  const moved = await client.app.getApp({ id: app });
  assert.equal(moved.spaceId, spaceId);
  const space = await client.space.getSpace({ id: spaceId });
  assert.equal(moved.threadId, space.defaultThread);
  assert.ok(space.attachedApps.some((a) => a.appId === app));
  const { apps } = await client.app.getApps({ spaceIds: [spaceId] });
  assert.ok(apps.some((a) => a.appId === app));
  await client.app.move({ app, space: null });
  assert.equal((await client.app.getApp({ id: app })).spaceId, null);
});

test("a client with guestSpaceId reaches its guest space; the plain path is refused", async () => {
  const { id } = await kumiki("POST", "/api/space.json", {
    name: "Guest room",
    isGuest: true,
    members: [admin("Administrator")],
  });
  const guest = new KintoneRestAPIClient({ baseUrl: fixture.baseUrl, auth: fixture.admin, guestSpaceId: id });
  const space = await guest.space.getSpace({ id });
  assert.equal(space.isGuest, true);
  await guest.space.updateSpaceBody({ id, body: "<p>For partners</p>" });
  const { members } = await guest.space.getSpaceMembers({ id });
  assert.equal(members.length, 1);
  const plain = await rejection(client.space.getSpace({ id }));
  assert.equal(plain.code, "GAIA_IL23");
});
