-- +goose Up
CREATE TABLE schools (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX schools_tenant_name ON schools (tenant_id, name);

CREATE TABLE departments (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT PRIMARY KEY,
    school_id  TEXT NOT NULL REFERENCES schools (id),
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX departments_school_name ON departments (tenant_id, school_id, name);

CREATE TABLE campaigns (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    starts_at       TIMESTAMPTZ NOT NULL,
    ends_at         TIMESTAMPTZ NOT NULL,
    closed_at       TIMESTAMPTZ,
    game            TEXT NOT NULL,
    approval        TEXT NOT NULL CHECK (approval IN ('auto', 'manual')),
    channels        TEXT NOT NULL,
    consent_version TEXT NOT NULL,
    last_number     INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX campaigns_tenant ON campaigns (tenant_id, id);

CREATE TABLE campaign_schools (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    school_id   TEXT NOT NULL REFERENCES schools (id),
    PRIMARY KEY (campaign_id, school_id)
);

CREATE TABLE gifts (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    name        TEXT NOT NULL,
    stock       INTEGER NOT NULL CHECK (stock >= 0),
    reserved    INTEGER NOT NULL DEFAULT 0,
    handed_out  INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    CHECK (reserved >= 0 AND handed_out >= 0 AND reserved + handed_out <= stock)
);
CREATE UNIQUE INDEX gifts_campaign_name ON gifts (tenant_id, campaign_id, name);

CREATE TABLE participations (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    id              TEXT PRIMARY KEY,
    campaign_id     TEXT NOT NULL REFERENCES campaigns (id),
    number          INTEGER NOT NULL,
    name            TEXT NOT NULL,
    phone           TEXT NOT NULL,
    channel         TEXT NOT NULL,
    school_id       TEXT NOT NULL DEFAULT '',
    department_id   TEXT NOT NULL DEFAULT '',
    consent_version TEXT NOT NULL,
    source          TEXT NOT NULL,
    user_agent      TEXT NOT NULL DEFAULT '',
    ip              TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    created_hour    BIGINT NOT NULL,
    result          TEXT NOT NULL DEFAULT '',
    played_at       TIMESTAMPTZ,
    play_detail     TEXT NOT NULL DEFAULT '',
    gift_id         TEXT NOT NULL DEFAULT '',
    gift_status     TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'pending',
    decided_at      TIMESTAMPTZ
);
-- One participation per person per campaign, enforced where concurrent
-- submissions meet: the normalized (E.164) phone.
CREATE UNIQUE INDEX participations_person ON participations (tenant_id, campaign_id, phone);
CREATE UNIQUE INDEX participations_number ON participations (campaign_id, number);
-- Covering indexes for the report's GROUP BY queries: each is answered from
-- the index alone, without touching the table.
CREATE INDEX participations_by_channel ON participations (tenant_id, campaign_id, channel, result, gift_status);
CREATE INDEX participations_by_school ON participations (tenant_id, campaign_id, school_id, result);
CREATE INDEX participations_by_department ON participations (tenant_id, campaign_id, department_id, result);
CREATE INDEX participations_by_hour ON participations (tenant_id, campaign_id, created_hour, result);

CREATE TABLE draws (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    count       INTEGER NOT NULL,
    eligibility TEXT NOT NULL,
    entries     TEXT NOT NULL,
    commitment  TEXT NOT NULL,
    seed        TEXT NOT NULL,
    winners     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    run_at      TIMESTAMPTZ
);
CREATE INDEX draws_campaign ON draws (tenant_id, campaign_id, id);

CREATE TABLE external_credentials (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    username    TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX external_credentials_tenant ON external_credentials (tenant_id, id);

CREATE TABLE external_records (
    tenant_id        TEXT NOT NULL REFERENCES tenants (id),
    id               TEXT PRIMARY KEY,
    credential_id    TEXT NOT NULL,
    raw_body         BYTEA NOT NULL,
    received_at      TIMESTAMPTZ NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
    reason           TEXT NOT NULL DEFAULT '',
    participation_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX external_records_tenant ON external_records (tenant_id, id);
