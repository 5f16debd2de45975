// SUBTABLE rows: add, update merging rows by id, delete rows.

import { test } from "node:test";
import assert from "node:assert/strict";
import { adminClient, app } from "./helpers.mjs";

const APP = app("table");
const client = adminClient();

const row = (item, qty) => ({ value: { Item: { value: item }, Qty: { value: qty } } });
const summary = (table) => table.value.map((r) => [r.value.Item.value, r.value.Qty.value]);

test("subtable rows: add, merge by id, delete", async () => {
  const { id } = await client.record.addRecord({
    app: APP,
    record: { Title: { value: "order" }, Table: { value: [row("apple", 1), row("pear", 2), row("plum", 3)] } },
  });
  let { record } = await client.record.getRecord({ app: APP, id });
  assert.equal(record.Table.type, "SUBTABLE");
  assert.deepEqual(summary(record.Table), [
    ["apple", "1"],
    ["pear", "2"],
    ["plum", "3"],
  ]);
  const rowIds = record.Table.value.map((r) => r.id);
  for (const r of record.Table.value) {
    assert.match(r.id, /^\d+$/);
    assert.deepEqual(r.value.Item.type, "SINGLE_LINE_TEXT");
    assert.deepEqual(r.value.Qty.type, "NUMBER");
  }
  assert.equal(new Set(rowIds).size, 3);

  // Update: row 0 merged (only Qty sent, Item kept), row 1 not sent (deleted), row 2 kept whole, one new row.
  await client.record.updateRecord({
    app: APP,
    id,
    record: {
      Table: {
        value: [
          { id: rowIds[0], value: { Qty: { value: 10 } } },
          { id: rowIds[2], value: {} },
          { value: { Item: { value: "fig" } } },
        ],
      },
    },
  });
  ({ record } = await client.record.getRecord({ app: APP, id }));
  assert.deepEqual(summary(record.Table), [
    ["apple", "10"],
    ["plum", "3"],
    ["fig", ""],
  ]);
  assert.equal(record.Table.value[0].id, rowIds[0]);
  assert.equal(record.Table.value[1].id, rowIds[2]);
  assert.ok(!rowIds.includes(record.Table.value[2].id), "a new row gets a new id");

  // Updating another field without the Table key keeps the rows.
  await client.record.updateRecord({ app: APP, id, record: { Title: { value: "renamed" } } });
  ({ record } = await client.record.getRecord({ app: APP, id }));
  assert.equal(record.Table.value.length, 3);

  // An unknown row id becomes a new row; [] deletes all rows.
  await client.record.updateRecord({
    app: APP,
    id,
    record: { Table: { value: [{ id: "987654321", value: { Item: { value: "new" }, Qty: { value: 1 } } }] } },
  });
  ({ record } = await client.record.getRecord({ app: APP, id }));
  assert.deepEqual(summary(record.Table), [["new", "1"]]);
  assert.notEqual(record.Table.value[0].id, "987654321");

  await client.record.updateRecord({ app: APP, id, record: { Table: { value: [] } } });
  ({ record } = await client.record.getRecord({ app: APP, id }));
  assert.deepEqual(record.Table.value, []);
});

test("subtable fields in queries match any row", async () => {
  const { ids } = await client.record.addRecords({
    app: APP,
    records: [
      { Title: { value: "q1" }, Table: { value: [row("kiwi", 5), row("lime", 50)] } },
      { Title: { value: "q2" }, Table: { value: [row("kiwi", 1)] } },
    ],
  });
  const { records } = await client.record.getRecords({
    app: APP,
    query: `Qty >= 40 and $id in (${ids.join(",")})`,
    fields: ["Title"],
  });
  assert.deepEqual(
    records.map((r) => r.Title.value),
    ["q1"],
  );
});
