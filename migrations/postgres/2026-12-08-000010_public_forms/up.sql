-- Issue 15: public forms (公開フォーム). A form publishes some fields of one app to residents
-- without an account; each answer is a record of the app. Times are epoch seconds UTC; JSON in
-- TEXT (docs/public-forms.md).
CREATE TABLE public_forms (
    id BIGSERIAL PRIMARY KEY,
    app_id BIGINT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'draft',
    settings TEXT NOT NULL DEFAULT '{}',
    opens_at BIGINT,
    closes_at BIGINT,
    max_answers BIGINT,
    answer_count BIGINT NOT NULL DEFAULT 0,
    next_seq BIGINT NOT NULL DEFAULT 0,
    secret TEXT NOT NULL,
    creator TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX public_forms_by_app ON public_forms (app_id, id);

-- Per-recipient links: a one-time link answers once, an editable one may change its answer.
CREATE TABLE public_form_links (
    id BIGSERIAL PRIMARY KEY,
    form_id BIGINT NOT NULL REFERENCES public_forms (id) ON DELETE CASCADE,
    token TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL,
    prefill TEXT NOT NULL DEFAULT '{}',
    mode TEXT NOT NULL DEFAULT 'once',
    expires_at BIGINT,
    revoked BIGINT NOT NULL DEFAULT 0,
    record_id BIGINT,
    answer_id BIGINT,
    answered_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX public_form_links_by_form ON public_form_links (form_id, id);

-- One row per answer (the record holds the data; this row the receipt and what was submitted).
CREATE TABLE public_form_answers (
    id BIGSERIAL PRIMARY KEY,
    form_id BIGINT NOT NULL REFERENCES public_forms (id) ON DELETE CASCADE,
    record_id BIGINT NOT NULL,
    receipt TEXT NOT NULL UNIQUE,
    link_id BIGINT,
    lang TEXT NOT NULL,
    vals TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX public_form_answers_by_form ON public_form_answers (form_id, id);

-- Running totals kept by each submit, so that results never scan the answers.
CREATE TABLE public_form_tallies (
    form_id BIGINT NOT NULL REFERENCES public_forms (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    bucket TEXT NOT NULL,
    answers BIGINT NOT NULL DEFAULT 0,
    total DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (form_id, field, bucket)
);
