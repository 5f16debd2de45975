// File upload, attach to a FILE field, download: bytes must survive exactly.

import { test } from "node:test";
import assert from "node:assert/strict";
import { KintoneRestAPIError } from "@kintone/rest-api-client";
import { adminClient, app, fixture, rejection, tokenClient } from "./helpers.mjs";

const APP = app("crud");
const client = adminClient();

function binaryContent() {
  const bytes = Buffer.alloc(70_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
  bytes[0] = 0x00;
  bytes[1] = 0xff;
  bytes[2] = 0x00;
  bytes[bytes.length - 1] = 0xff;
  // Not valid UTF-8, so any text decoding along the way would change it.
  bytes.write("\r\n\u0000", 10, "latin1");
  return bytes;
}

test("uploadFile, attach to a FILE field, downloadFile gives identical bytes (Japanese name)", async () => {
  const data = binaryContent();
  const name = "報告書 2024年(最終).bin";
  const { fileKey } = await client.file.uploadFile({ file: { name, data } });
  assert.match(fileKey, /\S/);

  const { id } = await client.record.addRecord({
    app: APP,
    record: { Text: { value: "with file" }, Attachment: { value: [{ fileKey }] } },
  });
  const { record } = await client.record.getRecord({ app: APP, id });
  assert.equal(record.Attachment.type, "FILE");
  assert.equal(record.Attachment.value.length, 1);
  const stored = record.Attachment.value[0];
  assert.equal(stored.name, name);
  assert.equal(stored.size, String(data.length));
  assert.match(stored.contentType, /\S/);
  assert.match(stored.fileKey, /\S/);

  const downloaded = Buffer.from(await client.file.downloadFile({ fileKey: stored.fileKey }));
  assert.equal(downloaded.length, data.length);
  assert.ok(downloaded.equals(data), "downloaded bytes differ from the uploaded ones");

  // A token of the app can download what it can view.
  const viaToken = Buffer.from(
    await tokenClient(fixture.apps.crud.tokens.view).file.downloadFile({ fileKey: stored.fileKey }),
  );
  assert.ok(viaToken.equals(data));

  // Keeping the file across an update needs its (download) key sent back; [] removes it.
  const second = await client.file.uploadFile({ file: { name: "empty.txt", data: Buffer.alloc(0) } });
  await client.record.updateRecord({
    app: APP,
    id,
    record: { Attachment: { value: [{ fileKey: stored.fileKey }, { fileKey: second.fileKey }] } },
  });
  const both = (await client.record.getRecord({ app: APP, id })).record.Attachment.value;
  assert.deepEqual(
    both.map((f) => [f.name, f.size]),
    [
      [name, String(data.length)],
      ["empty.txt", "0"],
    ],
  );
  const again = Buffer.from(await client.file.downloadFile({ fileKey: both[0].fileKey }));
  assert.ok(again.equals(data));
  const empty = Buffer.from(await client.file.downloadFile({ fileKey: both[1].fileKey }));
  assert.equal(empty.length, 0);

  await client.record.updateRecord({ app: APP, id, record: { Attachment: { value: [] } } });
  assert.deepEqual((await client.record.getRecord({ app: APP, id })).record.Attachment.value, []);
});

test("downloading an unknown file key is GAIA_BL01", async () => {
  const err = await rejection(client.file.downloadFile({ fileKey: "no-such-file-key" }));
  assert.ok(err instanceof KintoneRestAPIError, `${err}`);
  // downloadFile asks axios for an ArrayBuffer, so the client cannot read the JSON error body and its
  // error carries only the status (true against kintone as well); check the body on the wire.
  assert.equal(err.status, 404);
  const res = await fetch(`${fixture.baseUrl}/k/v1/file.json?fileKey=no-such-file-key`, {
    headers: { "X-Cybozu-Authorization": Buffer.from(`${fixture.admin.username}:${fixture.admin.password}`).toString("base64") },
  });
  assert.equal(res.status, 404);
  assert.match(res.headers.get("content-type"), /^application\/json/);
  const body = await res.json();
  assert.equal(body.code, "GAIA_BL01");
  assert.match(body.message, /The specified file \(id: no-such-file-key\) not found\./);
});
