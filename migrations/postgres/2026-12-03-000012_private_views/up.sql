-- Private views (kintone's 個人用の一覧): list views one user keeps for one app, seen only by them.
-- `definition` holds the view's type, columns, filter and sort as JSON (app/views.json's members);
-- `position` orders a user's views. Deleting the app deletes them.
CREATE TABLE private_views (
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_code TEXT NOT NULL,
    view_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, user_code, view_id)
);
