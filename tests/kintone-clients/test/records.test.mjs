// Single-record CRUD, revisions, authentication and the long-GET method override, through
// @kintone/rest-api-client exactly as an application would use it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { KintoneRestAPIError } from "@kintone/rest-api-client";
import { adminClient, app, fixture, passwordClient, rejection, tokenClient } from "./helpers.mjs";

const APP = app("crud");
const client = adminClient();

test("add, get, update and delete a record", async () => {
  const added = await client.record.addRecord({
    app: APP,
    record: {
      Text: { value: "hello" },
      Number: { value: 42 },
      Date: { value: "2024-02-29" },
      Choice: { value: "b" },
    },
  });
  assert.match(added.id, /^\d+$/);
  assert.equal(added.revision, "1");

  const { record } = await client.record.getRecord({ app: APP, id: added.id });
  assert.deepEqual(record.$id, { type: "__ID__", value: added.id });
  assert.deepEqual(record.$revision, { type: "__REVISION__", value: "1" });
  assert.deepEqual(record.Text, { type: "SINGLE_LINE_TEXT", value: "hello" });
  assert.deepEqual(record.Number, { type: "NUMBER", value: "42" });
  assert.deepEqual(record.Date, { type: "DATE", value: "2024-02-29" });
  assert.deepEqual(record.Choice, { type: "DROP_DOWN", value: "b" });
  assert.deepEqual(record.Attachment, { type: "FILE", value: [] });
  assert.equal(record.Record_number.type, "RECORD_NUMBER");
  assert.equal(record.Record_number.value, added.id);
  assert.equal(record.Created_by.type, "CREATOR");
  assert.equal(record.Created_by.value.code, "Administrator");
  assert.match(record.Created_datetime.value, /^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
  assert.match(record.Updated_datetime.value, /^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);

  const updated = await client.record.updateRecord({
    app: APP,
    id: added.id,
    record: { Number: { value: "1.5e1" } },
    revision: 1,
  });
  assert.equal(updated.revision, "2");
  const after = (await client.record.getRecord({ app: APP, id: added.id })).record;
  assert.equal(after.Number.value, "15");
  assert.equal(after.Text.value, "hello", "fields not sent are kept");
  assert.equal(after.$revision.value, "2");

  await client.record.deleteRecords({ app: APP, ids: [added.id] });
  const gone = await rejection(client.record.getRecord({ app: APP, id: added.id }));
  assert.ok(gone instanceof KintoneRestAPIError, String(gone));
  assert.equal(gone.code, "GAIA_RE01");
  assert.equal(gone.status, 404);
});

test("an app without process management has no Status field in records", async () => {
  const { id } = await client.record.addRecord({ app: APP, record: { Text: { value: "plain" } } });
  const { record } = await client.record.getRecord({ app: APP, id });
  assert.equal("Status" in record, false);
  assert.equal("Assignee" in record, false);
  assert.equal("Categories" in record, false);
  const { records } = await client.record.getRecords({ app: APP, query: `$id = ${id}` });
  assert.equal(records.length, 1);
  assert.equal("Status" in records[0], false);
});

test("a stale revision is a 409 GAIA_CO02 KintoneRestAPIError and writes nothing", async () => {
  const { id } = await client.record.addRecord({ app: APP, record: { Text: { value: "v1" } } });
  await client.record.updateRecord({ app: APP, id, record: { Text: { value: "v2" } } });
  const err = await rejection(
    client.record.updateRecord({ app: APP, id, record: { Text: { value: "stale" } }, revision: 1 }),
  );
  assert.ok(err instanceof KintoneRestAPIError, String(err));
  assert.equal(err.status, 409);
  assert.equal(err.code, "GAIA_CO02");
  assert.match(err.id, /\S/);
  assert.equal((await client.record.getRecord({ app: APP, id })).record.Text.value, "v2");

  const delErr = await rejection(client.record.deleteRecords({ app: APP, ids: [id], revisions: [1] }));
  assert.equal(delErr.code, "GAIA_CO02");
  await client.record.deleteRecords({ app: APP, ids: [id], revisions: [2] });
});

test("updateRecords and upsert through updateKey-less records", async () => {
  const { ids } = await client.record.addRecords({
    app: APP,
    records: [{ Text: { value: "r1" } }, { Text: { value: "r2" } }],
  });
  assert.equal(ids.length, 2);
  const res = await client.record.updateRecords({
    app: APP,
    records: ids.map((id, i) => ({ id, record: { Number: { value: i + 100 } } })),
  });
  assert.deepEqual(
    res.records.map((r) => [r.id, r.revision]),
    ids.map((id) => [id, "2"]),
  );
});

test("API tokens: a full token works, writes are attributed to Administrator", async () => {
  const full = tokenClient(fixture.apps.crud.tokens.full);
  const { id } = await full.record.addRecord({ app: APP, record: { Text: { value: "by token" } } });
  const { record } = await full.record.getRecord({ app: APP, id });
  assert.equal(record.Text.value, "by token");
  assert.equal(record.Created_by.value.code, "Administrator");
  await full.record.deleteRecords({ app: APP, ids: [id] });
});

test("API tokens: a view-only token cannot add (GAIA_NO01)", async () => {
  const view = tokenClient(fixture.apps.crud.tokens.view);
  await view.record.getRecords({ app: APP });
  const err = await rejection(view.record.addRecord({ app: APP, record: { Text: { value: "x" } } }));
  assert.ok(err instanceof KintoneRestAPIError, String(err));
  assert.equal(err.code, "GAIA_NO01");
  assert.equal(err.status, 403);
  assert.match(err.message, /Using this API token, you cannot run the specified API\./);
});

test("API tokens: an unknown token is GAIA_IA02", async () => {
  const err = await rejection(tokenClient("nosuchtoken0123456789abcdef").record.getRecords({ app: APP }));
  assert.ok(err instanceof KintoneRestAPIError, String(err));
  assert.equal(err.code, "GAIA_IA02");
  assert.match(err.message, /The specified API token does not match the API token generated via an app\./);
});

test("API tokens: a token of another app cannot read this one (GAIA_NO01)", async () => {
  const other = tokenClient(fixture.apps.csvToken.tokens.rw);
  const err = await rejection(other.record.getRecords({ app: APP }));
  assert.equal(err.code, "GAIA_NO01");
});

test("a wrong password is 401 CB_WA01", async () => {
  const err = await rejection(
    passwordClient(fixture.users.alice.username, "wrong-password").record.getRecords({ app: APP }),
  );
  assert.ok(err instanceof KintoneRestAPIError, String(err));
  assert.equal(err.status, 401);
  assert.equal(err.code, "CB_WA01");
  assert.match(err.message, /Password authentication failed\./);
  const unknownUser = await rejection(passwordClient("nobody", "x").record.getRecords({ app: APP }));
  assert.equal(unknownUser.code, "CB_WA01");
  // ...and the right one works for a non-admin user too.
  const alice = passwordClient(fixture.users.alice.username, fixture.users.alice.password);
  await alice.record.getRecords({ app: APP });
});

test("a GET longer than 4096 characters goes as POST + X-HTTP-Method-Override and still works", async () => {
  const { ids } = await client.record.addRecords({
    app: APP,
    records: Array.from({ length: 5 }, (_, i) => ({ Text: { value: `long-${i}` }, Number: { value: i } })),
  });
  // A long `in (...)` list: mostly ids that do not exist, plus the five that do.
  const filler = Array.from({ length: 900 }, (_, i) => String(1_000_000 + i));
  const query = `$id in (${[...filler, ...ids].join(", ")}) order by $id asc`;
  assert.ok(query.length > 4096, `query is ${query.length} chars`);
  let sawOverride = false;
  const { records, totalCount } = await withRequestSpy(
    (config) => {
      if (config.headers?.["X-HTTP-Method-Override"] === "GET" && config.method === "post") sawOverride = true;
    },
    () => client.record.getRecords({ app: APP, query, fields: ["$id", "Text"], totalCount: true }),
  );
  assert.ok(sawOverride, "the client should have used the method override");
  assert.deepEqual(
    records.map((r) => r.$id.value),
    ids,
  );
  assert.deepEqual(
    records.map((r) => r.Text.value),
    ids.map((_, i) => `long-${i}`),
  );
  assert.deepEqual(Object.keys(records[0]).sort(), ["$id", "Text"]);
  assert.equal(totalCount, "5");
});

// Observes the requests the client sends, at the Node http layer (axios' http adapter goes through
// follow-redirects, which looks up `http.request` on the module object at call time).
async function withRequestSpy(onRequest, fn) {
  const http = (await import("node:http")).default;
  const original = http.request;
  http.request = function (...args) {
    const opts = typeof args[0] === "object" && !(args[0] instanceof URL) ? args[0] : (args[1] ?? {});
    const headers = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      headers[k.toLowerCase() === "x-http-method-override" ? "X-HTTP-Method-Override" : k] = v;
    }
    onRequest({ method: String(opts.method ?? "GET").toLowerCase(), headers });
    return original.apply(this, args);
  };
  try {
    return await fn();
  } finally {
    http.request = original;
  }
}
