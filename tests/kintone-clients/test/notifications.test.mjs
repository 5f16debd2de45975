// Issue 13: kintone's per-app notification settings through the official client —
// get/updateGeneralNotifications, get/updatePerRecordNotifications, get/updateReminderNotifications,
// pre-live (preview) until deployApp, kintone's validation errors.

import { test } from "node:test";
import assert from "node:assert/strict";
import { adminClient, fixture, rejection } from "./helpers.mjs";

const client = adminClient();
const alice = fixture.users.alice.username;

async function deployed(app) {
  await client.app.deployApp({ apps: [{ app }] });
  for (let i = 0; i < 100; i++) {
    const { apps } = await client.app.getDeployStatus({ apps: [app] });
    if (apps[0].status !== "PROCESSING") return apps[0].status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("deploy did not finish");
}

test("the three notification settings: preview, deploy, errors", async () => {
  const { app } = await client.app.addApp({ name: "通知の設定" });
  await client.app.addFormFields({
    app,
    properties: {
      Title: { type: "SINGLE_LINE_TEXT", code: "Title", label: "件名" },
      Amount: { type: "NUMBER", code: "Amount", label: "金額" },
      Owner: { type: "USER_SELECT", code: "Owner", label: "担当" },
      Due: { type: "DATE", code: "Due", label: "期限" },
    },
  });
  assert.equal(await deployed(app), "SUCCESS");

  const empty = await client.app.getGeneralNotifications({ app });
  assert.deepEqual(empty.notifications, []);
  assert.equal(empty.notifyToCommenter, false);
  assert.match(empty.revision, /^\d+$/);

  const { revision } = await client.app.updateGeneralNotifications({
    app,
    notifications: [
      { entity: { type: "USER", code: alice }, recordAdded: true, commentAdded: true },
      { entity: { type: "FIELD_ENTITY", code: "Owner" }, statusChanged: true },
    ],
    notifyToCommenter: true,
  });
  assert.match(revision, /^\d+$/);
  const preview = await client.app.getGeneralNotifications({ app, preview: true });
  assert.equal(preview.revision, revision);
  assert.equal(preview.notifyToCommenter, true);
  assert.deepEqual(preview.notifications[0], {
    entity: { type: "USER", code: alice },
    includeSubs: false,
    recordAdded: true,
    recordEdited: false,
    commentAdded: true,
    statusChanged: false,
    fileImported: false,
  });

  await client.app.updatePerRecordNotifications({
    app,
    notifications: [{ filterCond: "Amount >= 100000", title: "高額", targets: [{ entity: { type: "FIELD_ENTITY", code: "Owner" } }] }],
  });
  const perRecord = await client.app.getPerRecordNotifications({ app, preview: true });
  assert.equal(perRecord.notifications[0].filterCond, "Amount >= 100000");
  assert.deepEqual(perRecord.notifications[0].targets, [{ entity: { type: "FIELD_ENTITY", code: "Owner" }, includeSubs: false }]);

  await client.app.updateReminderNotifications({
    app,
    timezone: "Asia/Tokyo",
    notifications: [{ timing: { code: "Due", daysLater: -1, time: "09:00" }, filterCond: "", title: "前日", targets: [{ entity: { type: "USER", code: alice } }] }],
  });
  const reminder = await client.app.getReminderNotifications({ app, preview: true });
  assert.equal(reminder.timezone, "Asia/Tokyo");
  assert.deepEqual(reminder.notifications[0].timing, { code: "Due", daysLater: "-1", time: "09:00" });

  // Live settings change only with the deploy.
  assert.deepEqual((await client.app.getGeneralNotifications({ app })).notifications, []);
  assert.deepEqual((await client.app.getPerRecordNotifications({ app })).notifications, []);
  assert.deepEqual((await client.app.getReminderNotifications({ app })).notifications, []);
  assert.equal(await deployed(app), "SUCCESS");
  assert.equal((await client.app.getGeneralNotifications({ app })).notifications.length, 2);
  assert.equal((await client.app.getPerRecordNotifications({ app })).notifications[0].title, "高額");
  assert.equal((await client.app.getReminderNotifications({ app })).notifications[0].title, "前日");

  // Bad input: kintone's CB_VA01 with the member, nothing stored.
  const e1 = await rejection(
    client.app.updateGeneralNotifications({ app, notifications: [{ entity: { type: "USER", code: "no-such-user" } }] }),
  );
  assert.equal(e1.code, "CB_VA01");
  assert.ok(e1.errors["notifications[0].entity.code"], JSON.stringify(e1.errors));
  const e2 = await rejection(
    client.app.updatePerRecordNotifications({ app, notifications: [{ filterCond: "Amount >>> 1", targets: [{ entity: { type: "USER", code: alice } }] }] }),
  );
  assert.equal(e2.code, "CB_VA01");
  assert.ok(e2.errors["notifications[0].filterCond"], JSON.stringify(e2.errors));
  const e3 = await rejection(
    client.app.updateReminderNotifications({ app, notifications: [{ timing: { code: "Title", daysLater: 0, time: "09:00" }, targets: [{ entity: { type: "USER", code: alice } }] }] }),
  );
  assert.equal(e3.code, "CB_VA01");
  assert.ok(e3.errors["notifications[0].timing.code"], JSON.stringify(e3.errors));
  assert.equal((await client.app.getGeneralNotifications({ app, preview: true })).notifications.length, 2);
});
