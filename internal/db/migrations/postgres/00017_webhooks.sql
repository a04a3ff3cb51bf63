-- +goose Up
-- Webhook endpoints of a tenant and the deliveries made to them. A delivery
-- is one domain event for one endpoint (unique per pair); each try to send
-- it is an attempt row, the delivery log an organizer reads.
CREATE TABLE webhook_endpoints (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    description     TEXT NOT NULL,
    kinds           TEXT NOT NULL,
    active          BOOLEAN NOT NULL,
    disabled_reason TEXT NOT NULL,
    secret          BYTEA NOT NULL,
    previous_secret BYTEA,
    previous_until  TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    deleted_at      TIMESTAMPTZ
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, id) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    id              TEXT PRIMARY KEY,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id),
    event_id        TEXT NOT NULL,
    kind            TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    response_status INTEGER,
    last_error      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    delivered_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (endpoint_id, event_id);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (tenant_id, endpoint_id, id);

CREATE TABLE webhook_attempts (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    delivery_id     TEXT NOT NULL REFERENCES webhook_deliveries (id),
    n               INTEGER NOT NULL,
    at              TIMESTAMPTZ NOT NULL,
    response_status INTEGER,
    error           TEXT NOT NULL,
    response_body   TEXT NOT NULL,
    duration_ms     INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, n)
);
