-- +goose Up
-- A tenant's retention period: the personal data of orders and tickets is
-- erased that many days after their event ended, of participations after
-- their campaign ended, and the copies kept in messages, jobs, the outbox
-- and webhook deliveries that many days after they were written. No row (or
-- 0 days) keeps everything until it is erased by hand. purged_at is when the
-- purge last finished for the tenant.
CREATE TABLE privacy_settings (
    tenant_id      TEXT PRIMARY KEY REFERENCES tenants (id),
    retention_days INTEGER NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    purged_at      TIMESTAMP
);
