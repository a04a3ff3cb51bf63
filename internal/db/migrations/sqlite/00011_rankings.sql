-- +goose Up
-- Rankings: paid orders per event per minute, fed from the outbox. The
-- ranked_orders table makes a redelivered order.paid count once.
CREATE TABLE ranked_orders (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    order_id  TEXT PRIMARY KEY,
    event_id  TEXT NOT NULL,
    paid_at   TIMESTAMP NOT NULL
);

CREATE TABLE rank_minutes (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    event_id   TEXT NOT NULL,
    minute     BIGINT NOT NULL,
    event_name TEXT NOT NULL,
    paid       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, minute, event_id)
);
