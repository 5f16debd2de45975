#!/usr/bin/env node
// Writes kintone apps' definitions to a folder that `kumiki app import-kintone <folder>` reads
// (docs/packages.md "kintone からの移行"): one sub-folder per app, named by its app id, holding
// the JSON answers of kintone's REST API named as their paths under /k/v1/app/ —
// 12/app.json, 12/form/fields.json, 12/form/layout.json, 12/views.json, 12/status.json,
// 12/acl.json, 12/record/acl.json, 12/field/acl.json, 12/settings.json, 12/reports.json,
// 12/notifications/{general,perRecord,reminder}.json, and, so that the import can say what it
// leaves behind, 12/customize.json, 12/plugins.json, 12/actions.json.
//
//   node export.mjs --base-url https://example.cybozu.com --app 12 --app 7 --out kintone-apps
//
// Credentials come from the environment, as cli-kintone reads them: KINTONE_USERNAME and
// KINTONE_PASSWORD (an administrator of the apps: settings are read with app management rights),
// or KINTONE_API_TOKEN (comma-separated; tokens cannot read every setting). Only reads: nothing
// is changed on kintone. Records are not exported (use cli-kintone for them).

import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { KintoneRestAPIClient } from "@kintone/rest-api-client";

/** [file, call, required]: every API answer the export writes. */
const FILES = [
  ["app.json", (c, app) => c.app.getApp({ id: app }), true],
  ["form/fields.json", (c, app) => c.app.getFormFields({ app }), true],
  ["form/layout.json", (c, app) => c.app.getFormLayout({ app })],
  ["views.json", (c, app) => c.app.getViews({ app })],
  ["status.json", (c, app) => c.app.getProcessManagement({ app })],
  ["acl.json", (c, app) => c.app.getAppAcl({ app })],
  ["record/acl.json", (c, app) => c.app.getRecordAcl({ app })],
  ["field/acl.json", (c, app) => c.app.getFieldAcl({ app })],
  ["settings.json", (c, app) => c.app.getAppSettings({ app })],
  ["reports.json", (c, app) => c.app.getReports({ app })],
  ["notifications/general.json", (c, app) => c.app.getGeneralNotifications({ app })],
  ["notifications/perRecord.json", (c, app) => c.app.getPerRecordNotifications({ app })],
  ["notifications/reminder.json", (c, app) => c.app.getReminderNotifications({ app })],
  ["customize.json", (c, app) => c.app.getAppCustomize({ app })],
  ["plugins.json", (c, app) => c.app.getPlugins({ app })],
  ["actions.json", (c, app) => c.app.getAppActions({ app })],
];

function usage(message) {
  if (message) console.error(`kintone-export: ${message}`);
  console.error(
    "usage: node export.mjs --base-url URL --app ID [--app ID ...] --out FOLDER [--guest-space-id ID]\n" +
      "credentials: KINTONE_USERNAME + KINTONE_PASSWORD, or KINTONE_API_TOKEN",
  );
  process.exit(2);
}

export function clientFrom(env, baseUrl, guestSpaceId) {
  let auth;
  if (env.KINTONE_USERNAME && env.KINTONE_PASSWORD) {
    auth = { username: env.KINTONE_USERNAME, password: env.KINTONE_PASSWORD };
  } else if (env.KINTONE_API_TOKEN) {
    auth = { apiToken: env.KINTONE_API_TOKEN.split(",").map((t) => t.trim()) };
  } else {
    usage("set KINTONE_USERNAME and KINTONE_PASSWORD (or KINTONE_API_TOKEN)");
  }
  return new KintoneRestAPIClient({ baseUrl, auth, ...(guestSpaceId ? { guestSpaceId } : {}) });
}

/** Writes the files of `apps` under `out`; returns the files skipped as `{app, file, reason}`. */
export async function exportApps(client, apps, out) {
  const skipped = [];
  for (const app of apps) {
    for (const [file, call, required] of FILES) {
      let answer;
      try {
        answer = await call(client, app);
      } catch (e) {
        // A setting this server or these credentials cannot read: the import does without it.
        if (required) throw new Error(`app ${app}: ${file}: ${e.message}`);
        skipped.push({ app, file, reason: e.message });
        continue;
      }
      const path = join(out, String(app), file);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, `${JSON.stringify(answer, null, 2)}\n`);
    }
  }
  return skipped;
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        "base-url": { type: "string" },
        app: { type: "string", multiple: true },
        out: { type: "string" },
        "guest-space-id": { type: "string" },
      },
    }));
  } catch (e) {
    usage(e.message);
  }
  const baseUrl = values["base-url"] ?? process.env.KINTONE_BASE_URL;
  if (!baseUrl) usage("--base-url is required");
  const apps = values.app ?? [];
  if (apps.length === 0 || apps.some((a) => !/^[0-9]+$/.test(a))) usage("give --app ID (digits) for each app");
  if (!values.out) usage("--out is required");
  const client = clientFrom(process.env, baseUrl, values["guest-space-id"]);
  const skipped = await exportApps(client, apps, values.out);
  for (const s of skipped) console.error(`skipped: app ${s.app} ${s.file} (${s.reason})`);
  console.log(`wrote ${apps.length} app(s) to ${values.out}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(`kintone-export: ${e.message}`);
    process.exit(1);
  });
}
