-- +goose Up
-- Durable background jobs. Any node claims due jobs with one conditional
-- UPDATE; a job whose lock expired (its node died) is claimed again.
-- status: pending, running, done, dead (the dead letters an admin replays)
-- or cancelled. dedupe_key makes enqueueing idempotent per tenant: a second
-- job with the same key is never created, also after the first one finished.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    run_at       TIMESTAMP NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    status       TEXT NOT NULL,
    locked_by    TEXT,
    locked_until TIMESTAMP,
    last_error   TEXT NOT NULL DEFAULT '',
    dedupe_key   TEXT,
    updated_at   TIMESTAMP NOT NULL,
    UNIQUE (tenant_id, dedupe_key)
);
CREATE INDEX jobs_due ON jobs (status, run_at);
CREATE INDEX jobs_tenant_status ON jobs (tenant_id, status, id);

-- How far each outbox consumer has read. Platform state: no tenant owns it.
CREATE TABLE outbox_cursors (
    consumer   TEXT PRIMARY KEY,
    seq        BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Message templates a tenant overrides; the built-in ones live in the code.
CREATE TABLE message_templates (
    tenant_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    lang       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, kind, lang)
);

-- Every message sent (or, without a provider, kept in the development
-- outbox). dedupe_key is the message's identity: one per order and kind.
CREATE TABLE messages (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    lang       TEXT NOT NULL,
    channel    TEXT NOT NULL,
    to_addr    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    status     TEXT NOT NULL,
    subject_id TEXT NOT NULL DEFAULT '',
    dedupe_key TEXT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    sent_at    TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, dedupe_key)
);
