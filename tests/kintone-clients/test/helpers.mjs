// Shared helpers: the fixture written by seed.mjs, client factories, and a runner for cli-kintone.

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KintoneRestAPIClient } from "@kintone/rest-api-client";

const here = dirname(fileURLToPath(import.meta.url));

if (!process.env.KUMIKI_FIXTURE) {
  throw new Error("KUMIKI_FIXTURE is not set: run these tests through tests/kintone-clients/run.sh");
}

/** `{ baseUrl, admin:{username,password}, users:{alice}, apps:{<key>:{id, code, tokens:{<name>: token}}} }` */
export const fixture = JSON.parse(readFileSync(process.env.KUMIKI_FIXTURE, "utf8"));

export const app = (key) => fixture.apps[key].id;

/** A client authenticated as the Administrator (password). */
export function adminClient() {
  return new KintoneRestAPIClient({ baseUrl: fixture.baseUrl, auth: fixture.admin });
}

/** A client authenticated with API token(s). */
export function tokenClient(...apiToken) {
  return new KintoneRestAPIClient({ baseUrl: fixture.baseUrl, auth: { apiToken } });
}

export function passwordClient(username, password) {
  return new KintoneRestAPIClient({ baseUrl: fixture.baseUrl, auth: { username, password } });
}

/** Awaits `promise` and returns the error it rejects with (fails if it resolves). */
export async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** Runs `cli-kintone` from the local node_modules; resolves `{code, stdout, stderr}` (never rejects on exit code). */
export function cliKintone(args, options = {}) {
  const bin = join(here, "..", "node_modules", ".bin", "cli-kintone");
  return new Promise((resolve) => {
    execFile(
      bin,
      ["--base-url", fixture.baseUrl, ...args],
      {
        encoding: options.encoding ?? "utf8",
        maxBuffer: 64 * 1024 * 1024,
        cwd: options.cwd,
        // Only what we pass: no KINTONE_* leaking from the caller's environment.
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1" },
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Parses RFC 4180 CSV (quoted cells may hold commas, quotes and newlines); LF or CRLF row ends. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else cell += c;
      i += 1;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
    i += 1;
  }
  if (cell !== "" || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
