// Further record APIs that kintone tooling relies on: upserts, cursors, comments, multi-app tokens,
// and the error indexes KintoneAllRecordsError computes from the server's `errors` keys.

import { test } from "node:test";
import assert from "node:assert/strict";
import { KintoneAllRecordsError, KintoneRestAPIError } from "@kintone/rest-api-client";
import { adminClient, app, fixture, rejection, tokenClient } from "./helpers.mjs";

const APP = app("crud");
const client = adminClient();

test("upsertRecord (client-side) and updateRecords with upsert:true", async () => {
  // upsertRecord needs a unique updateKey field; the csv apps have `Key` (unique).
  const UP = app("csvPassword");
  const first = await client.record.upsertRecord({
    app: UP,
    updateKey: { field: "Key", value: "up-1" },
    record: { Text: { value: "inserted" } },
  });
  assert.match(first.id, /^\d+$/);
  assert.equal(first.revision, "1");
  const second = await client.record.upsertRecord({
    app: UP,
    updateKey: { field: "Key", value: "up-1" },
    record: { Text: { value: "updated" } },
  });
  assert.equal(second.id, first.id);
  assert.equal(second.revision, "2");

  const res = await client.record.updateRecords({
    app: UP,
    upsert: true,
    records: [
      { updateKey: { field: "Key", value: "up-1" }, record: { Number: { value: 1 } } },
      { updateKey: { field: "Key", value: "up-2" }, record: { Number: { value: 2 } } },
    ],
  });
  assert.deepEqual(
    res.records.map((r) => r.operation),
    ["UPDATE", "INSERT"],
  );
  assert.equal(res.records[0].id, first.id);
  const { records } = await client.record.getRecords({ app: UP, query: 'Key in ("up-1", "up-2") order by $id asc' });
  assert.deepEqual(
    records.map((r) => [r.Key.value, r.Text.value, r.Number.value]),
    [
      ["up-1", "updated", "1"],
      ["up-2", "", "2"],
    ],
  );
  const noMatch = await rejection(
    client.record.updateRecord({ app: UP, updateKey: { field: "Key", value: "nope" }, record: {} }),
  );
  assert.equal(noMatch.code, "GAIA_RE20");
});

test("cursors: create, read page by page, delete", async () => {
  await client.record.addRecords({
    app: APP,
    records: Array.from({ length: 7 }, (_, i) => ({ Text: { value: "cursor" }, Number: { value: i } })),
  });
  const { id, totalCount } = await client.record.createCursor({
    app: APP,
    fields: ["Number"],
    query: 'Text = "cursor" order by Number desc',
    size: 3,
  });
  assert.equal(totalCount, "7");
  const seen = [];
  for (;;) {
    const page = await client.record.getRecordsByCursor({ id });
    seen.push(...page.records.map((r) => r.Number.value));
    if (!page.next) break;
  }
  assert.deepEqual(seen, ["6", "5", "4", "3", "2", "1", "0"]);
  // A finished cursor is gone.
  const gone = await rejection(client.record.getRecordsByCursor({ id }));
  assert.ok(gone instanceof KintoneRestAPIError, String(gone));

  const other = await client.record.createCursor({ app: APP, query: 'Text = "cursor"' });
  assert.deepEqual(await client.record.deleteCursor({ id: other.id }), {});
  assert.ok((await rejection(client.record.getRecordsByCursor({ id: other.id }))) instanceof KintoneRestAPIError);
});

test("record comments: add, list, delete", async () => {
  const { id: record } = await client.record.addRecord({ app: APP, record: { Text: { value: "commented" } } });
  const a = await client.record.addRecordComment({ app: APP, record, comment: { text: "first" } });
  const b = await client.record.addRecordComment({ app: APP, record, comment: { text: "second\nline" } });
  const { comments, older, newer } = await client.record.getRecordComments({ app: APP, record });
  assert.deepEqual(
    comments.map((c) => [c.id, c.text]),
    [
      [b.id, "second\nline"],
      [a.id, "first"],
    ],
  );
  assert.equal(comments[0].creator.code, "Administrator");
  assert.equal(older, false);
  assert.equal(newer, false);
  await client.record.deleteRecordComment({ app: APP, record, comment: a.id });
  const after = await client.record.getRecordComments({ app: APP, record, order: "asc" });
  assert.deepEqual(
    after.comments.map((c) => c.id),
    [b.id],
  );
});

test("API tokens of two apps in one header; two of one app is GAIA_DA03", async () => {
  const both = tokenClient(fixture.apps.crud.tokens.full, fixture.apps.csvFiles.tokens.rw);
  const res = await both.bulkRequest({
    requests: [
      { method: "POST", api: "/k/v1/record.json", payload: { app: APP, record: { Text: { value: "two-apps" } } } },
      { method: "POST", api: "/k/v1/record.json", payload: { app: app("csvFiles"), record: { Key: { value: "two-apps" } } } },
    ],
  });
  assert.equal(res.results.length, 2);
  await client.record.deleteRecords({ app: APP, ids: [res.results[0].id] });
  await client.record.deleteRecords({ app: app("csvFiles"), ids: [res.results[1].id] });

  const dup = await rejection(
    tokenClient(fixture.apps.crud.tokens.full, fixture.apps.crud.tokens.view).record.getRecords({ app: APP }),
  );
  assert.equal(dup.code, "GAIA_DA03");
  assert.match(dup.message, /You cannot specify a duplicate API token for the same app\./);
});

test("addAllRecords failure: KintoneAllRecordsError points at the bad record, nothing is written", async () => {
  const marker = `all-fail-${Date.now()}`;
  const records = Array.from({ length: 250 }, (_, i) => ({
    Text: { value: marker },
    Number: { value: i === 230 ? "not a number" : String(i) },
  }));
  const err = await rejection(client.record.addAllRecords({ app: APP, records }));
  assert.ok(err instanceof KintoneAllRecordsError, String(err));
  assert.equal(err.numOfProcessedRecords, 0);
  assert.equal(err.errorIndex, 230);
  assert.ok(err.error instanceof KintoneRestAPIError);
  assert.equal(err.error.code, "CB_VA01");
  assert.equal(err.error.bulkRequestIndex, 2);
  const keys = Object.keys(err.error.errors);
  assert.ok(
    keys.some((k) => /^records\[30\]\.(Number|\[Number\])?/.test(k) || k.startsWith("records[30]")),
    `errors keys: ${keys}`,
  );
  const { totalCount } = await client.record.getRecords({ app: APP, query: `Text = "${marker}" limit 1`, totalCount: true });
  assert.equal(totalCount, "0");
});

test("app APIs the CLI calls: getApp (with token), getFormFields, getFormLayout", async () => {
  const appInfo = await tokenClient(fixture.apps.csvUpsert.tokens.rw).app.getApp({ id: app("csvUpsert") });
  assert.equal(appInfo.appId, app("csvUpsert"));
  assert.equal(appInfo.code, "MyApp");
  const { properties, revision } = await client.app.getFormFields({ app: APP });
  assert.match(revision, /^\d+$/);
  assert.equal(properties.Number.type, "NUMBER");
  assert.equal(properties.Record_number.type, "RECORD_NUMBER");
  assert.equal(properties.Choice.options.b.index, "1");
  const { layout } = await client.app.getFormLayout({ app: APP });
  const codes = layout.flatMap((row) => (row.fields ?? []).map((f) => f.code));
  for (const code of ["Text", "Number", "Date", "Choice", "Attachment"]) assert.ok(codes.includes(code), code);
});
