-- Issue 13 (spaces, threads, guests, notifications): the shared foundation.
-- kintone's space settings (space.json). `create_app`: who may create apps in the space
-- (EVERYONE or ADMIN, kintone's permissions.createApp). `show_*`: the portal parts a multi-thread
-- space shows.
ALTER TABLE spaces ADD COLUMN body TEXT NOT NULL DEFAULT '';
ALTER TABLE spaces ADD COLUMN is_private BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE spaces ADD COLUMN use_multi_thread BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE spaces ADD COLUMN fixed_member BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE spaces ADD COLUMN default_thread BIGINT;
ALTER TABLE spaces ADD COLUMN creator TEXT NOT NULL DEFAULT '';
ALTER TABLE spaces ADD COLUMN modifier TEXT NOT NULL DEFAULT '';
ALTER TABLE spaces ADD COLUMN modified_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE spaces ADD COLUMN create_app TEXT NOT NULL DEFAULT 'EVERYONE';
ALTER TABLE spaces ADD COLUMN show_announcement BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE spaces ADD COLUMN show_thread_list BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE spaces ADD COLUMN show_app_list BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE spaces ADD COLUMN show_member_list BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE spaces ADD COLUMN show_related_link_list BOOLEAN NOT NULL DEFAULT true;

-- Members: users, groups and departments (with or without their sub-departments); space admins.
CREATE TABLE space_members (
    space_id BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    entity_type TEXT NOT NULL,
    code TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT false,
    include_subs BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (space_id, entity_type, code)
);
CREATE INDEX space_members_by_entity ON space_members (entity_type, code);

-- Threads of a space; a single-thread space has exactly one (its `default_thread`).
CREATE TABLE space_threads (
    id BIGSERIAL PRIMARY KEY,
    space_id BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    creator TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL,
    -- the newest post's id (0: none), so unread counts need no scan of old threads
    last_post_id BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX space_threads_by_space ON space_threads (space_id, id);

-- Posts of a thread (kintone's thread comments) and their replies (`parent_id`). `body` is
-- sanitised HTML; `mentions` and `files` are JSON arrays. Deleted posts keep their row (replies
-- stay in place) with an empty body.
CREATE TABLE thread_posts (
    id BIGSERIAL PRIMARY KEY,
    thread_id BIGINT NOT NULL REFERENCES space_threads (id) ON DELETE CASCADE,
    space_id BIGINT NOT NULL,
    parent_id BIGINT,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    mentions TEXT NOT NULL DEFAULT '[]',
    files TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    edited_at BIGINT,
    deleted BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX thread_posts_by_thread ON thread_posts (thread_id, id);

-- Read receipts as read positions: a member has read every post of the thread up to
-- `last_read_post`. Readers of post P = members whose position is >= P (index below); a user's unread
-- count in a thread = posts after their position.
CREATE TABLE thread_reads (
    thread_id BIGINT NOT NULL REFERENCES space_threads (id) ON DELETE CASCADE,
    user_code TEXT NOT NULL,
    last_read_post BIGINT NOT NULL,
    read_at BIGINT NOT NULL,
    PRIMARY KEY (thread_id, user_code)
);
CREATE INDEX thread_reads_by_position ON thread_reads (thread_id, last_read_post);
CREATE INDEX thread_reads_by_user ON thread_reads (user_code, thread_id);

-- Guest users (kintone's guests.json): external people whose login name is an e-mail address; they
-- reach only the guest spaces they are members of.
ALTER TABLE users ADD COLUMN is_guest BOOLEAN NOT NULL DEFAULT false;

-- The in-app notifications (the bell). `source_key` names the event (e.g. `post:17`,
-- `rule:general:5:ADD_RECORD:42`) so one event notifies a user once, however often it is replayed.
CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    user_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    source_key TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    link TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL DEFAULT '',
    app_id BIGINT,
    record_id BIGINT,
    space_id BIGINT,
    thread_id BIGINT,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE UNIQUE INDEX notifications_once ON notifications (user_code, source_key);
CREATE INDEX notifications_by_user ON notifications (user_code, id);
