// The query language as getRecords sends it: comparisons, like, in, several order-by keys, limit/offset.

import { before, test } from "node:test";
import assert from "node:assert/strict";
import { KintoneRestAPIError } from "@kintone/rest-api-client";
import { adminClient, app, rejection } from "./helpers.mjs";

const APP = app("query");
const client = adminClient();

// [Text, Number, Choice]
const rows = [
  ["x-ray", 10, "a"],
  ["box", 20, "b"],
  ["xylophone", 30, "a"],
  ["tax", 25, "c"],
  ["none", 40, "b"],
  ["fox", 20, "a"],
  ["plain", 5, null],
  ["maxi", 50, "c"],
];
const ids = {};

before(async () => {
  const res = await client.record.addRecords({
    app: APP,
    records: rows.map(([t, n, c]) => ({ Text: { value: t }, Number: { value: n }, ...(c ? { Choice: { value: c } } : {}) })),
  });
  rows.forEach(([t], i) => (ids[t] = res.ids[i]));
});

const texts = async (query) =>
  (await client.record.getRecords({ app: APP, query, fields: ["Text"] })).records.map((r) => r.Text.value);

test('Number >= 20 and Text like "x"', async () => {
  const got = await texts('Number >= 20 and Text like "x" order by $id asc');
  assert.deepEqual(got, ["box", "xylophone", "tax", "fox", "maxi"]);
});

test("operators without spaces (Number>=20)", async () => {
  assert.deepEqual(await texts("Number>=40 order by $id asc"), ["none", "maxi"]);
});

test("in and not in, including unset choices", async () => {
  assert.deepEqual(await texts('Choice in ("a", "c") order by $id asc'), ["x-ray", "xylophone", "tax", "fox", "maxi"]);
  assert.deepEqual(await texts('Choice not in ("a", "c") order by $id asc'), ["box", "none", "plain"]);
  assert.deepEqual(await texts('Choice in ("") order by $id asc'), ["plain"]);
  assert.deepEqual(await texts(`$id in (${ids.box}, ${ids.fox}) order by $id desc`), ["fox", "box"]);
  assert.deepEqual(await texts('Text in ("tax", "none") order by $id asc'), ["tax", "none"]);
});

test("order by several fields", async () => {
  assert.deepEqual(await texts("order by Number asc, Text desc"), [
    "plain",
    "x-ray",
    "fox",
    "box",
    "tax",
    "xylophone",
    "none",
    "maxi",
  ]);
  assert.deepEqual(await texts("Number <= 25 order by Number desc, $id asc"), ["tax", "box", "fox", "x-ray", "plain"]);
});

test("default order is $id desc; limit and offset", async () => {
  const all = await texts("");
  assert.deepEqual(all, [...rows.map((r) => r[0])].reverse());
  assert.deepEqual(await texts("order by Number asc, $id asc limit 2 offset 2"), ["box", "fox"]);
});

test("parentheses and or", async () => {
  assert.deepEqual(await texts('(Number < 10 or Number > 45) and Text != "plain" order by $id asc'), ["maxi"]);
});

test("query errors: unknown field is GAIA_IQ11, syntax error is CB_VA01", async () => {
  const unknown = await rejection(client.record.getRecords({ app: APP, query: "Unknown_Field = 1" }));
  assert.ok(unknown instanceof KintoneRestAPIError, String(unknown));
  assert.equal(unknown.code, "GAIA_IQ11");
  assert.match(unknown.message, /Specified field \(Unknown_Field\) not found\./);
  const syntax = await rejection(client.record.getRecords({ app: APP, query: "Number >=" }));
  assert.equal(syntax.code, "CB_VA01");
  const limit = await rejection(client.record.getRecords({ app: APP, query: "limit 501" }));
  assert.equal(limit.code, "GAIA_QU01");
});
