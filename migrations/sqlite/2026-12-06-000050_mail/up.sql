-- Issue 13 (mail): e-mail delivery of in-app notifications (docs/notifications-mail.md).

-- Each user's choice: `none` (default when there is no row), `each` (one mail per notification) or
-- `digest` (one mail a day at `digest_hour` in the user's time zone). `email` is the address mails
-- go to; users have no address of their own (guests' login names are addresses and are used when
-- this is empty).
CREATE TABLE mail_preferences (
    user_code TEXT PRIMARY KEY,
    mode TEXT NOT NULL DEFAULT 'none',
    digest_hour BIGINT NOT NULL DEFAULT 8,
    email TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);

-- One mail to send. The planner writes these in the transaction that advances its position
-- (mail_planner), with a durable job (`mail.deliver`) per row; the Message-ID is derived from `id`,
-- so a mail resent after a crash carries the same Message-ID. `dedupe_key`: `each:<notification id>`
-- or `digest:<user>:<local date>`. States: pending, sent, skipped, failed.
CREATE TABLE mail_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key TEXT NOT NULL UNIQUE,
    user_code TEXT NOT NULL,
    mode TEXT NOT NULL,
    notification_ids TEXT NOT NULL,
    send_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    to_address TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX mail_deliveries_by_state ON mail_deliveries (state, id);

-- The planner's position: the last notification id it has planned mails for.
CREATE TABLE mail_planner (
    name TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
