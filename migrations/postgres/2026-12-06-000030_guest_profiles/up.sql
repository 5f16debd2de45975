-- Issue 13, guests: what kintone's guests.json carries about a guest user beyond the users row
-- (code = e-mail address, name, password, time zone and language live in `users`).
CREATE TABLE guest_profiles (
    code TEXT PRIMARY KEY NOT NULL,
    sur_name TEXT NOT NULL DEFAULT '',
    given_name TEXT NOT NULL DEFAULT '',
    sur_name_reading TEXT NOT NULL DEFAULT '',
    given_name_reading TEXT NOT NULL DEFAULT '',
    company TEXT NOT NULL DEFAULT '',
    division TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    call_to TEXT NOT NULL DEFAULT '',
    -- kintone's locale as sent (auto, ja, en, zh); `users.locale` holds the page language (ja/en)
    locale TEXT NOT NULL DEFAULT 'auto',
    -- the uploaded image's file key, empty for the default picture
    image TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
