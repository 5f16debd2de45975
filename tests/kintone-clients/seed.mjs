// Seeds a freshly started Kumiki server for the client tests and writes the fixture file the tests read.
// Apps are created through the REST API (as an administrator would script it); users and API tokens
// through the `kumiki` CLI, which is the only way to make them.
//
// Environment: KUMIKI_BIN, KUMIKI_DATA_DIR, KUMIKI_DATABASE_URL (optional), KUMIKI_BASE_URL,
// KUMIKI_ADMIN_PASSWORD, KUMIKI_FIXTURE (output path).

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const bin = env("KUMIKI_BIN");
const dataDir = env("KUMIKI_DATA_DIR");
const databaseUrl = process.env.KUMIKI_DATABASE_URL || "";
const baseUrl = env("KUMIKI_BASE_URL");
const adminPassword = env("KUMIKI_ADMIN_PASSWORD");
const fixturePath = env("KUMIKI_FIXTURE");

const admin = { username: "Administrator", password: adminPassword };
const alice = { username: "alice", password: "alice-Passw0rd!" };

// The CLI would also read these from the environment; pass them only as flags.
function cliEnv() {
  const e = { ...process.env, RUST_LOG: "warn" };
  delete e.KUMIKI_DATA_DIR;
  delete e.KUMIKI_DATABASE_URL;
  return e;
}

function kumiki(...args) {
  const common = ["--data-dir", dataDir];
  if (databaseUrl) common.push("--database-url", databaseUrl);
  return execFileSync(bin, [...common, ...args], {
    encoding: "utf8",
    env: cliEnv(),
  });
}

async function api(method, path, body, query = "") {
  const res = await fetch(`${baseUrl}/k/v1/${path}.json${query}`, {
    method,
    headers: {
      "Content-Type": "application/json",
      "X-Cybozu-Authorization": Buffer.from(`${admin.username}:${admin.password}`).toString("base64"),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
  return JSON.parse(text);
}

const text = (code, extra = {}) => ({ type: "SINGLE_LINE_TEXT", code, label: code, ...extra });
const number = (code, extra = {}) => ({ type: "NUMBER", code, label: code, ...extra });
const options = (...keys) =>
  Object.fromEntries(keys.map((k, i) => [k, { label: k, index: String(i) }]));

const csvFields = {
  Key: text("Key", { unique: true }),
  Text: text("Text"),
  Number: number("Number"),
  Date: { type: "DATE", code: "Date", label: "Date" },
  Choice: { type: "DROP_DOWN", code: "Choice", label: "Choice", options: options("赤", "green", "blue") },
  Checks: { type: "CHECK_BOX", code: "Checks", label: "Checks", options: options("a", "b", "日本") },
  Table: {
    type: "SUBTABLE",
    code: "Table",
    label: "Table",
    fields: { Item: text("Item"), Qty: number("Qty") },
  },
};

const apps = {
  crud: {
    fields: {
      Text: text("Text"),
      Number: number("Number"),
      Date: { type: "DATE", code: "Date", label: "Date" },
      Choice: { type: "DROP_DOWN", code: "Choice", label: "Choice", options: options("a", "b", "c") },
      Attachment: { type: "FILE", code: "Attachment", label: "Attachment" },
    },
    tokens: { full: "view,add,edit,delete", view: "view" },
  },
  bulk: { fields: { Text: text("Text"), Number: number("Number") } },
  query: {
    fields: {
      Text: text("Text"),
      Number: number("Number"),
      Choice: { type: "DROP_DOWN", code: "Choice", label: "Choice", options: options("a", "b", "c") },
    },
  },
  // Issue 16: getReports / updateReports.
  reports: {
    fields: {
      Choice: { type: "DROP_DOWN", code: "Choice", label: "Choice", options: options("a", "b", "c") },
      Date: { type: "DATE", code: "Date", label: "Date" },
      Number: number("Number"),
    },
  },
  table: {
    fields: {
      Title: text("Title"),
      Table: { type: "SUBTABLE", code: "Table", label: "Table", fields: { Item: text("Item"), Qty: number("Qty") } },
    },
  },
  csvToken: { fields: csvFields, tokens: { rw: "view,add,edit" } },
  csvPassword: { fields: csvFields },
  csvSjis: { fields: csvFields, tokens: { rw: "view,add,edit" } },
  csvUpsert: { fields: csvFields, tokens: { rw: "view,add,edit" }, code: "MyApp" },
  csvFiles: {
    fields: { Key: text("Key"), Attachment: { type: "FILE", code: "Attachment", label: "Attachment" } },
    tokens: { rw: "view,add,edit", all: "view,add,edit,delete" },
  },
};

const fixture = { baseUrl, admin, users: { alice }, apps: {} };
// Issue 13, threads part: where the database is, for tests that seed rows no API creates yet.
fixture.db = { dataDir, databaseUrl };

kumiki("user", "add", alice.username, "--password", alice.password);

for (const [key, spec] of Object.entries(apps)) {
  const { app } = await api("POST", "preview/app", { name: `clients-${key}` });
  await api("POST", "preview/app/form/fields", { app, properties: spec.fields });
  if (spec.code) await api("PUT", "preview/app/settings", { app, code: spec.code });
  await api("POST", "preview/app/deploy", { apps: [{ app }] });
  for (let i = 0; ; i++) {
    const { apps: st } = await api("GET", "preview/app/deploy", undefined, `?apps[0]=${app}`);
    if (st[0].status === "SUCCESS") break;
    if (st[0].status !== "PROCESSING" || i > 100) throw new Error(`deploy of ${key}: ${st[0].status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const tokens = {};
  for (const [name, rights] of Object.entries(spec.tokens ?? {})) {
    tokens[name] = kumiki("token", "add", "--app", String(app), "--rights", rights).trim();
  }
  fixture.apps[key] = { id: String(app), code: spec.code ?? "", tokens };
}

writeFileSync(fixturePath, JSON.stringify(fixture, null, 2));
console.log(`seeded ${Object.keys(fixture.apps).length} apps`);
