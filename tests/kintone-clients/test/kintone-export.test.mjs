// Issue 17 part 6: tools/kintone-export (the official @kintone/rest-api-client) dumps two linked
// apps from this server (Kumiki speaks kintone's API), and `kumiki app import-kintone` brings the
// folder into a second, empty installation; its fields, lookup, views, process and permissions
// are compared through `kumiki app export`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { adminClient, fixture } from "./helpers.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const tool = join(here, "..", "..", "..", "tools", "kintone-export");
const work = mkdtempSync(join(process.env.KUMIKI_CLIENTS_WORK ?? tmpdir(), "kexport-"));

async function makeApp(client, name, properties) {
  const { app } = await client.app.addApp({ name });
  await client.app.addFormFields({ app, properties });
  await client.app.deployApp({ apps: [{ app }] });
  return app;
}

const text = (code) => ({ type: "SINGLE_LINE_TEXT", code, label: code });

test("an app dumped with the export script imports into an empty installation", async () => {
  if (!existsSync(join(tool, "node_modules", "@kintone", "rest-api-client"))) {
    execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: tool, stdio: "inherit" });
  }
  const client = adminClient();
  const master = await makeApp(client, "移行元マスタ", { 名前: text("名前"), 電話: text("電話") });
  const consult = await makeApp(client, "移行元相談", {
    顧客: {
      ...text("顧客"),
      lookup: {
        relatedApp: { app: String(master) },
        relatedKeyField: "名前",
        fieldMappings: [{ field: "電話", relatedField: "電話" }],
        lookupPickerFields: ["名前"],
      },
    },
    電話: text("電話"),
    種別: {
      type: "DROP_DOWN", code: "種別", label: "種別",
      options: { 一般: { label: "一般", index: "0" }, 急ぎ: { label: "急ぎ", index: "1" } },
    },
  });
  await client.app.updateViews({
    app: consult,
    views: { 受付: { type: "LIST", index: "0", name: "受付", fields: ["Record_number", "顧客", "種別"], sort: "Record_number desc" } },
  });
  await client.app.updateProcessManagement({
    app: consult,
    enable: true,
    states: {
      受付: { name: "受付", index: "0", assignee: { type: "ONE", entities: [] } },
      完了: { name: "完了", index: "1", assignee: { type: "ONE", entities: [] } },
    },
    actions: [{ name: "完了にする", from: "受付", to: "完了", filterCond: "" }],
  });
  await client.app.updateAppAcl({
    app: consult,
    rights: [
      { entity: { type: "USER", code: fixture.admin.username }, appEditable: true, recordViewable: true, recordAddable: true, recordEditable: true, recordDeletable: true, recordImportable: true, recordExportable: true },
      { entity: { type: "GROUP", code: "everyone" }, recordViewable: true, recordAddable: true },
    ],
  });
  await client.app.deployApp({ apps: [{ app: consult }] });
  for (let i = 0; i < 50; i++) {
    const { apps } = await client.app.getDeployStatus({ apps: [consult] });
    if (apps[0].status === "SUCCESS") break;
    await new Promise((r) => setTimeout(r, 100));
  }

  const out = join(work, "apps");
  execFileSync("node", [join(tool, "export.mjs"), "--base-url", fixture.baseUrl, "--app", String(master), "--app", String(consult), "--out", out], {
    env: { PATH: process.env.PATH, KINTONE_USERNAME: fixture.admin.username, KINTONE_PASSWORD: fixture.admin.password },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const fields = JSON.parse(readFileSync(join(out, String(consult), "form", "fields.json"), "utf8"));
  assert.equal(fields.properties.顧客.lookup.relatedApp.app, String(master));

  // The second installation: a fresh data directory (SQLite), imported through the CLI.
  const data = join(work, "second");
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, KUMIKI_ADMIN_PASSWORD: "second-admin-password-1" };
  // The user the source's permissions name is mapped to a local user of the second installation.
  execFileSync(process.env.KUMIKI_BIN, ["--data-dir", data, "user", "add", "ikou", "--admin"], {
    env: { ...env, KUMIKI_USER_PASSWORD: "second-user-password-1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const created = execFileSync(process.env.KUMIKI_BIN, ["--data-dir", data, "app", "import-kintone", out, "--map", `${fixture.admin.username}=ikou`], { env, encoding: "utf8" });
  const ids = Object.fromEntries(created.trim().split("\n").map((l) => l.split(" ")));
  assert.deepEqual(Object.keys(ids).sort(), [String(consult), String(master)].sort());

  const exported = JSON.parse(
    execFileSync(process.env.KUMIKI_BIN, ["--data-dir", data, "app", "export", "--no-records", "--app", ids[master], "--app", ids[consult]], { env, encoding: "utf8" }),
  );
  const copy = exported.apps.find((a) => a.app.name === "移行元相談");
  assert.deepEqual(Object.keys(copy.properties).sort(), ["種別", "電話", "顧客"].sort());
  assert.equal(copy.properties.種別.type, "DROP_DOWN");
  assert.deepEqual(Object.keys(copy.properties.種別.options).sort(), ["一般", "急ぎ"].sort());
  // The lookup names the other imported app (a bundle key on export).
  const masterKey = exported.apps.find((a) => a.app.name === "移行元マスタ").key;
  assert.equal(copy.properties.顧客.lookup.relatedApp.appKey, masterKey);
  assert.deepEqual(copy.views.受付.fields, ["Record_number", "顧客", "種別"]);
  assert.deepEqual(Object.keys(copy.process.states), ["受付", "完了"]);
  assert.equal(copy.process.actions[0].name, "完了にする");
  const everyone = copy.acl.app.find((r) => r.entity.code === "everyone");
  assert.equal(everyone.recordAddable, true);
});
