// Issue 13, guests: the official client's addGuests, deleteGuests and updateSpaceGuests, and a client
// constructed with guestSpaceId reading the records of a guest-space app. The guest space itself is
// made directly in the database (KUMIKI_CLIENTS_DB): the space APIs are another part of issue 13.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { KintoneRestAPIClient, KintoneRestAPIError } from "@kintone/rest-api-client";
import { adminClient, fixture, rejection } from "./helpers.mjs";

const SPACE = 9001;
const db = process.env.KUMIKI_CLIENTS_DB;

/** Runs SQL on the server's database (sqlite3 or psql). */
function sql(statement) {
  if (db.startsWith("postgres")) execFileSync("psql", [db, "-qAtc", statement]);
  // The server holds the file too (the indexer writes): wait for its locks.
  else execFileSync("sqlite3", ["-cmd", ".timeout 10000", db, statement]);
}

const client = adminClient();
const guestPassword = "guest-Passw0rd-1";

test("addGuests, updateSpaceGuests, a guestSpaceId client, deleteGuests", async () => {
  await client.space.addGuests({
    guests: [
      { code: "yamada@a-city.example", password: guestPassword, timezone: "Asia/Tokyo", locale: "ja",
        name: "山田 太郎", surNameReading: "やまだ", givenNameReading: "たろう", company: "A市", division: "福祉課",
        phone: "000-0000", callTo: "" },
    ],
  });
  // A duplicate and a login that is not an e-mail address are refused with kintone's error.
  const dup = await rejection(client.space.addGuests({
    guests: [{ code: "yamada@a-city.example", password: guestPassword, timezone: "Asia/Tokyo", name: "x" }],
  }));
  assert.ok(dup instanceof KintoneRestAPIError);
  assert.equal(dup.code, "CB_VA01");
  const bad = await rejection(client.space.addGuests({
    guests: [{ code: "yamada", password: guestPassword, timezone: "Asia/Tokyo", name: "x" }],
  }));
  assert.equal(bad.code, "CB_VA01");
  assert.ok(bad.errors["guests[0].code"], JSON.stringify(bad.errors));

  // An app with a record, moved into a guest space whose administrator is the Administrator.
  const { app } = await client.app.addApp({ name: "ゲスト名簿" });
  await client.app.addFormFields({ app, properties: { Name: { type: "SINGLE_LINE_TEXT", code: "Name", label: "氏名" } } });
  await client.app.deployApp({ apps: [{ app }] });
  for (let i = 0; i < 50; i++) {
    const { apps } = await client.app.getDeployStatus({ apps: [app] });
    if (apps[0].status !== "PROCESSING") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const { id } = await client.record.addRecord({ app, record: { Name: { value: "協議会 名簿 1" } } });
  sql(`INSERT INTO spaces (id, name, is_guest, created_at) VALUES (${SPACE}, 'A市協議会', TRUE, 0)`);
  sql(`INSERT INTO space_members (space_id, entity_type, code, is_admin, include_subs) VALUES (${SPACE}, 'USER', 'Administrator', TRUE, FALSE)`);
  sql(`UPDATE apps SET space_id = ${SPACE} WHERE id = ${app}`);

  // Without the guest space id the app is kintone's GAIA_IL23; with it, it answers.
  const plain = await rejection(client.record.getRecord({ app, id }));
  assert.equal(plain.code, "GAIA_IL23");
  const inSpace = new KintoneRestAPIClient({ baseUrl: fixture.baseUrl, auth: fixture.admin, guestSpaceId: SPACE });
  await inSpace.space.updateSpaceGuests({ id: SPACE, guests: ["yamada@a-city.example"] });
  const { record } = await inSpace.record.getRecord({ app, id });
  assert.equal(record.Name.value, "協議会 名簿 1");

  // The guest itself, through its space's path: its rows, and nothing outside.
  const guest = new KintoneRestAPIClient({
    baseUrl: fixture.baseUrl, auth: { username: "yamada@a-city.example", password: guestPassword }, guestSpaceId: SPACE,
  });
  const { records } = await guest.record.getRecords({ app });
  assert.deepEqual(records.map((r) => r.Name.value), ["協議会 名簿 1"]);
  const outside = new KintoneRestAPIClient({
    baseUrl: fixture.baseUrl, auth: { username: "yamada@a-city.example", password: guestPassword },
  });
  const refused = await rejection(outside.app.getApps({}));
  assert.equal(refused.code, "CB_NO02");
  // A client for another guest space is refused too.
  const wrong = new KintoneRestAPIClient({ baseUrl: fixture.baseUrl, auth: fixture.admin, guestSpaceId: SPACE + 1 });
  const wrongPath = await rejection(wrong.record.getRecord({ app, id }));
  assert.equal(wrongPath.code, "CB_NO02");

  await client.space.deleteGuests({ guests: ["yamada@a-city.example"] });
  const gone = await rejection(guest.record.getRecords({ app }));
  assert.equal(gone.code, "CB_WA01");
});
