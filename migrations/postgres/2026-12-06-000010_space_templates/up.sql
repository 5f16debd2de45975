-- Issue 13, spaces: space templates (kintone's スペーステンプレート). `settings` is JSON: the space's
-- body, switches, members and threads (`crate::spaces::templates::TemplateSettings`).
CREATE TABLE space_templates (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    settings TEXT NOT NULL,
    creator TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
