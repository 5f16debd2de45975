// cli-kintone (@kintone/cli) round trips: `record import` a CSV, `record export` it back, compare.
// Runs the CLI from this package's node_modules, never a global install or a downloaded binary.
//
// What is expected to differ between the imported and the exported CSV, and is normalized here:
// the record-number column (assigned by the server; checked to be "[<app code>-]<$id>") and the
// subtable-code column, which holds subtable row ids (assigned by the server; checked to be numeric).
// Everything else, including Created_by/Created_datetime/Updated_by/Updated_datetime, which the CLI
// sends on add, must come back unchanged.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import iconv from "iconv-lite";
import { adminClient, app, cliKintone, fixture, parseCsv } from "./helpers.mjs";

const dir = mkdtempSync(join(process.env.KUMIKI_CLIENTS_WORK ?? tmpdir(), "cli-"));
const HEADER =
  '*,"Record_number","Key","Text","Number","Date","Choice","Checks","Table","Item","Qty","Created_by","Created_datetime","Updated_by","Updated_datetime"';

const q = (v) => (v === "" ? "" : `"${String(v).replaceAll('"', '""')}"`);
/** One CSV line as cli-kintone prints it (empty cells unquoted, `*` bare). */
const line = (cells) => cells.map((c, i) => (i === 0 ? c : q(c))).join(",");

/** Builds an import CSV. Each record: {key,text,number,date,choice,checks[],rows:[[item,qty]],by,at}. */
function buildCsv(records) {
  const lines = [HEADER];
  for (const r of records) {
    const top = [r.key, r.text, r.number, r.date, r.choice, r.checks.join("\n")];
    const meta = [r.by, r.at, r.by, r.at];
    const rows = r.rows.length ? r.rows : [null];
    rows.forEach((row, i) => {
      const table = row ? [row.id ?? "", row[0], row[1]] : ["", "", ""];
      lines.push(line([i === 0 ? "*" : "", r.recno ?? "", ...top, ...table, ...meta]));
    });
  }
  return lines.join("\n");
}

const records = [
  {
    key: "k1",
    text: "hello, \"world\"",
    number: "10",
    date: "2024-01-02",
    choice: "green",
    checks: ["a", "b"],
    rows: [
      ["apple", "1"],
      ["pear", "2.5"],
    ],
    by: "alice",
    at: "2024-01-02T03:04:00Z",
  },
  { key: "k2", text: "日本語のテキスト", number: "-3", date: "", choice: "赤", checks: ["日本"], rows: [], by: "Administrator", at: "2023-12-31T23:59:00Z" },
  {
    key: "k3",
    text: "multi\nline? no: single line text with comma, here",
    number: "",
    date: "1999-12-31",
    choice: "",
    checks: [],
    rows: [["only", ""]],
    by: "Administrator",
    at: "2024-06-30T12:00:00Z",
  },
];

/** Normalizes an exported (or imported) CSV text: blanks the record-number and row-id columns. */
function normalize(text, { appCode = "" } = {}) {
  const rows = parseCsv(text);
  const header = rows[0];
  const recno = header.indexOf("Record_number");
  const table = header.indexOf("Table");
  assert.ok(recno > 0 && table > 0, `unexpected header ${header}`);
  const pattern = new RegExp(`^${appCode ? `${appCode}-` : ""}\\d+$`);
  return rows.map((row, i) => {
    if (i === 0) return row;
    const copy = [...row];
    if (copy[recno] !== "") assert.match(copy[recno], pattern, "record number");
    if (copy[table] !== "") assert.match(copy[table], /^\d+$/, "subtable row id");
    copy[recno] = "#";
    copy[table] = copy[table] === "" ? "" : "#";
    return copy;
  });
}

/** The expected normalized rows for `records` (row-id cells are "#" where a row exists). */
function expected(recs) {
  return normalize(buildCsv(recs.map((r) => ({ ...r, recno: "1", rows: r.rows.map((x) => Object.assign([...x], { id: "1" })) }))));
}

async function cli(args) {
  const res = await cliKintone(args);
  assert.equal(res.code, 0, `cli-kintone ${args.join(" ")} failed:\n${res.stderr}\n${res.stdout}`);
  return res;
}

async function roundTrip(appKey, auth) {
  const appId = app(appKey);
  const file = join(dir, `${appKey}.csv`);
  writeFileSync(file, buildCsv(records));
  await cli(["record", "import", "--app", appId, ...auth, "--file-path", file]);
  const { stdout } = await cli(["record", "export", "--app", appId, ...auth]);
  assert.equal(stdout.split("\n")[0], HEADER);
  assert.deepEqual(normalize(stdout), expected(records));
  return stdout;
}

test("cli-kintone import then export round-trips a CSV (UTF-8, --api-token)", async () => {
  const auth = ["--api-token", fixture.apps.csvToken.tokens.rw];
  const out = await roundTrip("csvToken", auth);
  // Record numbers are the $id, in $id order.
  const numbers = parseCsv(out)
    .slice(1)
    .filter((r) => r[0] === "*")
    .map((r) => r[1]);
  const all = await adminClient().record.getAllRecords({ app: app("csvToken"), fields: ["$id"] });
  assert.deepEqual(
    numbers,
    all.map((r) => r.$id.value),
  );
  // The values the server stored are the CSV's, as the REST API sees them.
  const [k1] = await adminClient().record.getAllRecords({ app: app("csvToken"), condition: 'Key = "k1"' });
  assert.equal(k1.Text.value, 'hello, "world"');
  assert.deepEqual(k1.Checks.value, ["a", "b"]);
  assert.equal(k1.Created_by.value.code, "alice");
  assert.equal(k1.Created_datetime.value, "2024-01-02T03:04:00Z");
  assert.deepEqual(
    k1.Table.value.map((r) => [r.value.Item.value, r.value.Qty.value]),
    [
      ["apple", "1"],
      ["pear", "2.5"],
    ],
  );

  // Export with a condition and an order (the CLI's cursor path).
  const { stdout } = await cli([
    "record", "export", "--app", app("csvToken"), "--api-token", fixture.apps.csvToken.tokens.rw,
    "--condition", "Number>=-5", "--order-by", "Number desc",
  ]);
  assert.deepEqual(
    parseCsv(stdout)
      .slice(1)
      .filter((r) => r[0] === "*")
      .map((r) => r[2]),
    ["k1", "k2"],
  );
});

test("cli-kintone import then export round-trips a CSV (UTF-8, --username/--password)", async () => {
  const { username, password } = fixture.users.alice;
  await roundTrip("csvPassword", ["--username", username, "--password", password]);
});

test("cli-kintone import then export round-trips a CSV (Shift_JIS, --encoding sjis)", async () => {
  const appId = app("csvSjis");
  const auth = ["--api-token", fixture.apps.csvSjis.tokens.rw];
  const text = buildCsv(records);
  const bytes = iconv.encode(text, "Shift_JIS");
  assert.notDeepEqual(bytes, Buffer.from(text, "utf8"), "the fixture must really differ from UTF-8");
  const file = join(dir, "sjis.csv");
  writeFileSync(file, bytes);
  await cli(["record", "import", "--app", appId, ...auth, "--file-path", file, "--encoding", "sjis"]);

  const stored = await adminClient().record.getAllRecords({ app: appId, condition: 'Key = "k2"' });
  assert.equal(stored[0].Text.value, "日本語のテキスト");
  assert.equal(stored[0].Choice.value, "赤");
  assert.deepEqual(stored[0].Checks.value, ["日本"]);

  const res = await cliKintone(["record", "export", "--app", appId, ...auth, "--encoding", "sjis"], { encoding: "buffer" });
  assert.equal(res.code, 0, String(res.stderr));
  const out = iconv.decode(res.stdout, "Shift_JIS");
  assert.ok(iconv.encode(out, "Shift_JIS").equals(res.stdout), "the export is valid Shift_JIS");
  assert.ok(!res.stdout.includes(Buffer.from("日本語", "utf8")), "the export is not UTF-8");
  assert.deepEqual(normalize(out), expected(records));
});

test("cli-kintone --update-key updates existing rows and adds new ones (app code MyApp)", async () => {
  const appId = app("csvUpsert");
  const auth = ["--api-token", fixture.apps.csvUpsert.tokens.rw];
  const first = join(dir, "upsert-1.csv");
  writeFileSync(first, buildCsv(records));
  await cli(["record", "import", "--app", appId, ...auth, "--file-path", first]);
  const exported = (await cli(["record", "export", "--app", appId, ...auth])).stdout;
  assert.deepEqual(normalize(exported, { appCode: "MyApp" }), expected(records));

  // Take k1's row ids from the export: the update keeps "apple" (edited), drops "pear", adds "plum".
  const rows = parseCsv(exported);
  const k1Rows = rows.filter((r) => r[2] === "k1");
  const appleId = k1Rows.find((r) => r[9] === "apple")[8];
  const changedK1 = { ...records[0], text: "updated", number: "11", checks: ["b"], rows: [Object.assign(["apple", "100"], { id: appleId }), ["plum", "7"]] };
  const k4 = { key: "k4", text: "new", number: "4", date: "2024-04-04", choice: "blue", checks: ["a"], rows: [], by: "Administrator", at: "2024-04-04T04:04:00Z" };
  const second = join(dir, "upsert-2.csv");
  writeFileSync(second, buildCsv([changedK1, k4]));
  await cli(["record", "import", "--app", appId, ...auth, "--file-path", second, "--update-key", "Key"]);

  const after = await adminClient().record.getAllRecords({ app: appId });
  assert.deepEqual(
    after.map((r) => r.Key.value),
    ["k1", "k2", "k3", "k4"],
  );
  const k1 = after[0];
  assert.equal(k1.Text.value, "updated");
  assert.equal(k1.Number.value, "11");
  assert.deepEqual(k1.Checks.value, ["b"]);
  assert.deepEqual(
    k1.Table.value.map((r) => [r.id === appleId, r.value.Item.value, r.value.Qty.value]),
    [
      [true, "apple", "100"],
      [false, "plum", "7"],
    ],
  );
  assert.equal(k1.Record_number.value, `MyApp-${k1.$id.value}`);
  // With --update-key, cli-kintone 1.19 sends everything through PUT records.json {upsert:true}
  // and drops Created_*/Updated_*: updated records keep theirs, new ones get the caller and now.
  assert.equal(k1.Created_by.value.code, "alice");
  assert.equal(k1.Created_datetime.value, "2024-01-02T03:04:00Z");
  assert.equal(k1.Updated_by.value.code, "Administrator");
  assert.equal(after[1].Text.value, "日本語のテキスト", "rows not in the file are untouched");
  assert.equal(after[1].$revision.value, "1");
  assert.equal(after[3].Created_by.value.code, "Administrator");
  assert.ok(Math.abs(Date.parse(after[3].Created_datetime.value) - Date.now()) < 5 * 60_000);
  assert.equal(after[3].Text.value, "new");

  // --update-key on the record number, with the app-code prefix the export prints.
  const k2 = after[1];
  const byNumber = join(dir, "upsert-3.csv");
  writeFileSync(
    byNumber,
    buildCsv([
      { ...records[1], recno: k2.Record_number.value, text: "by record number" },
      // No record number: the CLI sends a dummy id (Number.MAX_SAFE_INTEGER) that must become an insert.
      { ...records[1], key: "k5", recno: "", text: "inserted by upsert" },
    ]),
  );
  await cli(["record", "import", "--app", appId, ...auth, "--file-path", byNumber, "--update-key", "Record_number"]);
  const k2After = (await adminClient().record.getRecord({ app: appId, id: k2.$id.value })).record;
  assert.equal(k2After.Text.value, "by record number");
  const final = await adminClient().record.getAllRecords({ app: appId, fields: ["Key", "Text"] });
  assert.deepEqual(
    final.map((r) => [r.Key.value, r.Text.value]),
    [
      ["k1", "updated"],
      ["k2", "by record number"],
      ["k3", records[2].text],
      ["k4", "new"],
      ["k5", "inserted by upsert"],
    ],
  );
});

test("cli-kintone reports server errors (wrong token → GAIA_IA02, unknown field → GAIA_IQ11)", async () => {
  const bad = await cliKintone(["record", "export", "--app", app("csvToken"), "--api-token", "bogus0token"]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /\[400\] \[GAIA_IA02\] The specified API token does not match the API token generated via an app\./);
  const unknown = await cliKintone([
    "record", "export", "--app", app("csvToken"), "--api-token", fixture.apps.csvToken.tokens.rw,
    "--condition", "Unknown_Field = 1",
  ]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /\[400\] \[GAIA_IQ11\] Specified field \(Unknown_Field\) not found\./);
});

test("cli-kintone attachments: import with --attachments-dir, export downloads identical files", async () => {
  const appId = app("csvFiles");
  const auth = ["--api-token", fixture.apps.csvFiles.tokens.rw];
  const src = join(dir, "attachments-in");
  const { mkdirSync, readdirSync } = await import("node:fs");
  mkdirSync(join(src, "docs"), { recursive: true });
  const binary = Buffer.from([0x00, 0xff, 0x10, 0x0d, 0x0a, 0x00, 0x80, 0xfe, 0xff]);
  const japanese = Buffer.from("添付ファイルの中身\n", "utf8");
  writeFileSync(join(src, "docs", "data.bin"), binary);
  writeFileSync(join(src, "docs", "見積書.txt"), japanese);
  const file = join(dir, "files.csv");
  writeFileSync(file, ['"Key","Attachment"', '"f1","docs/data.bin\ndocs/見積書.txt"', '"f2",'].join("\n"));
  await cli(["record", "import", "--app", appId, ...auth, "--file-path", file, "--attachments-dir", src]);

  const out = join(dir, "attachments-out");
  const { stdout } = await cli(["record", "export", "--app", appId, ...auth, "--attachments-dir", out]);
  const rows = parseCsv(stdout);
  const header = rows[0];
  const at = header.indexOf("Attachment");
  const f1 = rows.find((r) => r[header.indexOf("Key")] === "f1");
  const id = f1[header.indexOf("Record_number")];
  assert.equal(f1[at], `Attachment-${id}/data.bin\nAttachment-${id}/見積書.txt`);
  assert.deepEqual(readdirSync(join(out, `Attachment-${id}`)).sort(), ["data.bin", "見積書.txt"].sort());
  assert.ok(readFileSync(join(out, `Attachment-${id}`, "data.bin")).equals(binary));
  assert.ok(readFileSync(join(out, `Attachment-${id}`, "見積書.txt")).equals(japanese));
  const f2 = rows.find((r) => r[header.indexOf("Key")] === "f2");
  assert.equal(f2[at], "");
});

test("cli-kintone record delete removes all records (API token with delete right)", async () => {
  const appId = app("csvFiles");
  const res = await cliKintone(["record", "delete", "--app", appId, "--api-token", fixture.apps.csvFiles.tokens.all, "--yes"]);
  assert.equal(res.code, 0, res.stderr);
  const left = await adminClient().record.getAllRecords({ app: appId, fields: ["$id"] });
  assert.equal(left.length, 0);
});
