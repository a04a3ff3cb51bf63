-- +goose Up
-- One Ed25519 key pair per event and generation: the newest is active
-- (retired_at IS NULL) and signs new tickets; retired keys stay until
-- removed so that the codes they signed keep verifying.
CREATE TABLE ticket_keys (
    tenant_id   TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    kid         TEXT NOT NULL,
    public_key  BLOB NOT NULL,
    private_key BLOB NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    retired_at  TIMESTAMP,
    PRIMARY KEY (event_id, kid)
);
CREATE UNIQUE INDEX ticket_keys_active ON ticket_keys (tenant_id, event_id) WHERE retired_at IS NULL;
CREATE INDEX ticket_keys_kid ON ticket_keys (tenant_id, kid);

CREATE TABLE tickets (
    tenant_id      TEXT NOT NULL,
    id             TEXT PRIMARY KEY,
    order_id       TEXT NOT NULL,
    event_id       TEXT NOT NULL,
    ticket_type_id TEXT NOT NULL,
    attendee_name  TEXT NOT NULL DEFAULT '',
    attendee_email TEXT NOT NULL DEFAULT '',
    seat           TEXT NOT NULL DEFAULT '',
    code           TEXT NOT NULL,
    kid            TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),
    not_before     TIMESTAMP NOT NULL,
    not_after      TIMESTAMP NOT NULL,
    issued_at      TIMESTAMP NOT NULL,
    revoked_at     TIMESTAMP
);
CREATE INDEX tickets_order ON tickets (tenant_id, order_id);
CREATE INDEX tickets_event ON tickets (tenant_id, event_id, id);
CREATE INDEX tickets_revoked ON tickets (tenant_id, event_id, revoked_at, id) WHERE revoked_at IS NOT NULL;
