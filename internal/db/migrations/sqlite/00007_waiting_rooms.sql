-- +goose Up
CREATE TABLE waiting_rooms (
    tenant_id          TEXT NOT NULL,
    event_id           TEXT PRIMARY KEY,
    enabled            INTEGER NOT NULL,
    admit_per_minute   INTEGER NOT NULL,
    max_active         INTEGER NOT NULL,
    active_ttl_seconds INTEGER NOT NULL,
    opens_at           TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
