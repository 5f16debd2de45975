-- Issue 14: survey relay (調査照会). A survey (request) goes to organisations (guest spaces or
-- departments); each organisation has one answer. Times are epoch seconds UTC. JSON columns hold
-- field definitions, answer values, contacts and lists (docs/surveys.md).
CREATE TABLE surveys (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    due_at BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'draft',
    fields TEXT NOT NULL DEFAULT '{}',
    sheet TEXT NOT NULL DEFAULT '',
    reminders TEXT NOT NULL DEFAULT '[3,0]',
    owners TEXT NOT NULL DEFAULT '[]',
    recipients TEXT NOT NULL DEFAULT '[]',
    creator TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sent_at BIGINT,
    closed_at BIGINT,
    merge_app_id BIGINT,
    parent_answer_id BIGINT,
    copied_from BIGINT,
    reminders_sent BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX surveys_by_creator ON surveys (creator, id);
CREATE INDEX surveys_by_parent_answer ON surveys (parent_answer_id);

-- Attachments and the answer-sheet template of a survey (uploaded first, attached by file key).
CREATE TABLE survey_files (
    file_key TEXT PRIMARY KEY,
    survey_id BIGINT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    position BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX survey_files_by_survey ON survey_files (survey_id, role, position);

-- One answer per (survey, organisation): the unique key makes a replayed broadcast write nothing twice.
CREATE TABLE survey_answers (
    id BIGSERIAL PRIMARY KEY,
    survey_id BIGINT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    org_kind TEXT NOT NULL,
    org_code TEXT NOT NULL,
    org_name TEXT NOT NULL DEFAULT '',
    contacts TEXT NOT NULL DEFAULT '[]',
    state TEXT NOT NULL DEFAULT 'unopened',
    due_at BIGINT,
    opened_by TEXT,
    opened_at BIGINT,
    saved_by TEXT,
    saved_at BIGINT,
    submitted_by TEXT,
    submitted_at BIGINT,
    returned_by TEXT,
    returned_at BIGINT,
    return_comment TEXT NOT NULL DEFAULT '',
    accepted_by TEXT,
    accepted_at BIGINT,
    answer_values TEXT NOT NULL DEFAULT '{}',
    sheet_file_key TEXT,
    sheet_rows TEXT NOT NULL DEFAULT '[]',
    sheet_problems TEXT NOT NULL DEFAULT '[]',
    merge_record_id BIGINT,
    child_survey_id BIGINT,
    revision BIGINT NOT NULL DEFAULT 1,
    UNIQUE (survey_id, org_kind, org_code)
);
CREATE INDEX survey_answers_by_org ON survey_answers (org_kind, org_code, survey_id);

-- Uploaded answer sheets: downloadable by the survey's owners and the organisation's members only.
CREATE TABLE survey_answer_files (
    file_key TEXT PRIMARY KEY,
    answer_id BIGINT NOT NULL REFERENCES survey_answers (id) ON DELETE CASCADE
);
CREATE INDEX survey_answer_files_by_answer ON survey_answer_files (answer_id);

-- The history of an answer shown on both sides.
CREATE TABLE survey_answer_events (
    id BIGSERIAL PRIMARY KEY,
    answer_id BIGINT NOT NULL REFERENCES survey_answers (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX survey_answer_events_by_answer ON survey_answer_events (answer_id, id);

-- Saved recipient lists (送付先リスト), e.g. 「県内35市町村」.
CREATE TABLE survey_lists (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    owner TEXT NOT NULL,
    entries TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX survey_lists_by_owner ON survey_lists (owner, id);
