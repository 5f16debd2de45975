-- Per-app webhooks (kintone's "Webhook" app setting; engine/src/webhooks). `events` is a JSON array
-- of kintone's event names; `secret` signs every delivery (X-Kumiki-Signature).
CREATE TABLE webhooks (
    id BIGSERIAL PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhooks_app ON webhooks (app_id);

-- One row per webhook per event (engine/src/webhooks/deliveries.rs), written by the change-log
-- consumer `webhooks` in the transaction that advances its position; `payload` is the exact body,
-- so every retry sends the same bytes and the same `delivery_id`. (webhook_id, change_seq) is
-- unique: a change read twice (a hole in the log, two nodes) makes one delivery. Test deliveries
-- have no change_seq. States: queued, sending (claimed until lease_until), delivered, failed.
-- Times are unix seconds.
CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    delivery_id TEXT NOT NULL UNIQUE,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    app_id BIGINT NOT NULL,
    change_seq BIGINT,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    response_code BIGINT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    UNIQUE (webhook_id, change_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_at);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);
