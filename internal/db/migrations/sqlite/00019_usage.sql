-- +goose Up
-- What each tenant used per month (UTC, period "2026-12") and metric,
-- added to by the meter consumer, by the domains that count in their own
-- transactions, and by each node's flush of API call counts. No foreign
-- key: counting must never be what fails the write it counts.
CREATE TABLE usage_counts (
    tenant_id  TEXT NOT NULL,
    period     TEXT NOT NULL,
    metric     TEXT NOT NULL,
    quantity   BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, period, metric)
);

-- A tenant's monthly budget in KRW, and the alerts its months raised (once
-- per threshold and month).
CREATE TABLE usage_budgets (
    tenant_id      TEXT PRIMARY KEY REFERENCES tenants (id),
    monthly_budget BIGINT NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE TABLE usage_alerts (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    period    TEXT NOT NULL,
    threshold INTEGER NOT NULL,
    total     BIGINT NOT NULL,
    at        TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, period, threshold)
);
