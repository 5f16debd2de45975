// The composite helpers of @kintone/rest-api-client (addAllRecords, getAllRecords*, bulkRequest),
// which page, chunk and use cursors exactly as kintone's own tooling does.

import { before, test } from "node:test";
import assert from "node:assert/strict";
import { KintoneRestAPIError } from "@kintone/rest-api-client";
import { adminClient, app, rejection } from "./helpers.mjs";

const APP = app("bulk");
const client = adminClient();
const N = 2000;
let addedIds = [];

// Number runs 0..1999 but is assigned so that its order differs from $id order.
const numberOf = (i) => (i * 7) % N;

before(async () => {
  const records = Array.from({ length: N }, (_, i) => ({
    Text: { value: `row-${String(i).padStart(4, "0")}` },
    Number: { value: String(numberOf(i)) },
  }));
  const { records: added } = await client.record.addAllRecords({ app: APP, records });
  addedIds = added.map((r) => r.id);
});

test("addAllRecords of 2,000 records returns 2,000 ids and revisions in order", async () => {
  assert.equal(addedIds.length, N);
  const numeric = addedIds.map(Number);
  for (let i = 1; i < numeric.length; i++) assert.ok(numeric[i] > numeric[i - 1], "ids increase");
  const { totalCount } = await client.record.getRecords({ app: APP, totalCount: true, query: "limit 1" });
  assert.equal(totalCount, String(N));
});

test("getAllRecords without orderBy pages by $id", async () => {
  const records = await client.record.getAllRecords({ app: APP, fields: ["Text"] });
  assert.equal(records.length, N);
  assert.deepEqual(
    records.map((r) => r.$id.value),
    addedIds,
  );
  assert.equal(records[1999].Text.value, "row-1999");
  const some = await client.record.getAllRecords({ app: APP, condition: "Number < 100" });
  assert.equal(some.length, 100);
  assert.ok(some.every((r) => Number(r.Number.value) < 100));
});

test("getAllRecords with orderBy uses a cursor (withCursor default)", async () => {
  const records = await client.record.getAllRecords({ app: APP, orderBy: "Number desc", fields: ["Number", "$id"] });
  assert.equal(records.length, N);
  assert.deepEqual(
    records.map((r) => Number(r.Number.value)),
    Array.from({ length: N }, (_, i) => N - 1 - i),
  );
  const filtered = await client.record.getAllRecords({
    app: APP,
    condition: "Number >= 1000",
    orderBy: "Number asc",
  });
  assert.equal(filtered.length, 1000);
  assert.ok(filtered.every((r, i, a) => i === 0 || Number(a[i - 1].Number.value) < Number(r.Number.value)));
});

test("getAllRecordsWithOffset pages with limit/offset", async () => {
  const records = await client.record.getAllRecordsWithOffset({ app: APP, orderBy: "Number asc", fields: ["Number"] });
  assert.equal(records.length, N);
  assert.deepEqual(
    records.map((r) => Number(r.Number.value)),
    Array.from({ length: N }, (_, i) => i),
  );
});

test("bulkRequest is atomic: a failing second request leaves the first unwritten", async () => {
  const marker = `bulk-atomic-${Date.now()}`;
  const [target] = addedIds;
  const err = await rejection(
    client.bulkRequest({
      requests: [
        { method: "POST", api: "/k/v1/record.json", payload: { app: APP, record: { Text: { value: marker } } } },
        { method: "PUT", api: "/k/v1/record.json", payload: { app: APP, id: target, revision: 999, record: { Text: { value: marker } } } },
      ],
    }),
  );
  assert.ok(err instanceof KintoneRestAPIError, String(err));
  assert.equal(err.code, "GAIA_CO02");
  assert.equal(err.bulkRequestIndex, 1);
  const { records } = await client.record.getRecords({ app: APP, query: `Text = "${marker}"` });
  assert.equal(records.length, 0, "the first sub-request must have been rolled back");
  const { record } = await client.record.getRecord({ app: APP, id: target });
  assert.equal(record.Text.value, "row-0000");

  const ok = await client.bulkRequest({
    requests: [
      { method: "POST", api: "/k/v1/record.json", payload: { app: APP, record: { Text: { value: marker } } } },
      { method: "PUT", api: "/k/v1/record.json", payload: { app: APP, id: target, record: { Number: { value: 0 } } } },
    ],
  });
  assert.equal(ok.results.length, 2);
  assert.match(ok.results[0].id, /^\d+$/);
  assert.equal(ok.results[1].revision, "2");
  await client.record.deleteRecords({ app: APP, ids: [ok.results[0].id] });
});

test("deleteAllRecords sends revisions:null and removes everything", async () => {
  const records = await client.record.getAllRecords({ app: APP, fields: ["$id"], condition: "Number >= 1900" });
  assert.equal(records.length, 100);
  await client.record.deleteAllRecords({ app: APP, records: records.map((r) => ({ id: r.$id.value })) });
  const left = await client.record.getAllRecords({ app: APP, fields: ["$id"], condition: "Number >= 1900" });
  assert.equal(left.length, 0);
});
