-- +goose Up
-- Gates and check-in. The re-entry policy and the staff badge types are
-- per event (gate_settings); each gate names the ticket types it admits.
CREATE TABLE gate_settings (
    tenant_id              TEXT NOT NULL,
    event_id               TEXT PRIMARY KEY,
    reentry                TEXT NOT NULL CHECK (reentry IN ('single', 'inout')),
    staff_ticket_type_ids  TEXT NOT NULL DEFAULT '[]',
    updated_at             TIMESTAMP NOT NULL
);

CREATE TABLE gates (
    tenant_id       TEXT NOT NULL,
    id              TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('main', 'vip', 'staff', 'emergency')),
    ticket_type_ids TEXT NOT NULL DEFAULT '[]',
    opens_at        TIMESTAMP,
    closes_at       TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX gates_event ON gates (tenant_id, event_id, id);

-- Every scan, admitted or refused, with the answer it got: a repeated
-- scan_id replays the stored answer (the unique index makes it count once).
CREATE TABLE checkins (
    tenant_id      TEXT NOT NULL,
    id             TEXT PRIMARY KEY,
    event_id       TEXT NOT NULL,
    gate_id        TEXT NOT NULL,
    ticket_id      TEXT NOT NULL DEFAULT '',
    ticket_type_id TEXT NOT NULL DEFAULT '',
    device_id      TEXT NOT NULL DEFAULT '',
    source         TEXT NOT NULL DEFAULT 'server',
    scan_id        TEXT NOT NULL,
    direction      TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    result         TEXT NOT NULL,
    message        TEXT NOT NULL DEFAULT '',
    conflict       BOOLEAN NOT NULL DEFAULT FALSE,
    scanned_at     TIMESTAMP NOT NULL,
    recorded_at    TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX checkins_scan ON checkins (tenant_id, scan_id);
CREATE INDEX checkins_event ON checkins (tenant_id, event_id, scanned_at);
CREATE INDEX checkins_ticket ON checkins (tenant_id, ticket_id);

-- One row per admitted ticket: inserting it is the admission, so two
-- concurrent scans of one ticket admit once.
CREATE TABLE presence (
    tenant_id        TEXT NOT NULL,
    ticket_id        TEXT PRIMARY KEY,
    event_id         TEXT NOT NULL,
    inside           BOOLEAN NOT NULL,
    entries          INTEGER NOT NULL,
    first_checkin_id TEXT NOT NULL,
    last_checkin_id  TEXT NOT NULL,
    first_at         TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX presence_event ON presence (tenant_id, event_id, inside);

-- Two admissions of one ticket decided apart (offline nodes, or a node and
-- the server): both scans are kept, and staff see the pair here.
CREATE TABLE checkin_conflicts (
    tenant_id         TEXT NOT NULL,
    id                TEXT PRIMARY KEY,
    event_id          TEXT NOT NULL,
    ticket_id         TEXT NOT NULL,
    first_checkin_id  TEXT NOT NULL,
    second_checkin_id TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL
);
CREATE INDEX checkin_conflicts_event ON checkin_conflicts (tenant_id, event_id, id);

-- Scanner devices (tablets, phones) and the pairing codes that enrol them.
CREATE TABLE gate_devices (
    tenant_id    TEXT NOT NULL,
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    event_id     TEXT NOT NULL DEFAULT '',
    gate_id      TEXT NOT NULL DEFAULT '',
    api_key_id   TEXT NOT NULL DEFAULT '',
    battery_pct  INTEGER,
    app_state    TEXT NOT NULL DEFAULT '',
    last_seen_at TIMESTAMP,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX gate_devices_tenant ON gate_devices (tenant_id, id);

CREATE TABLE device_pairings (
    tenant_id  TEXT NOT NULL,
    code_hash  TEXT PRIMARY KEY,
    gate_id    TEXT NOT NULL DEFAULT '',
    event_id   TEXT NOT NULL DEFAULT '',
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE beacons (
    tenant_id    TEXT NOT NULL,
    id           TEXT PRIMARY KEY,
    event_id     TEXT NOT NULL,
    gate_id      TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL,
    location     TEXT NOT NULL DEFAULT '',
    rssi_min     INTEGER NOT NULL,
    rssi_max     INTEGER NOT NULL,
    battery_pct  INTEGER,
    rssi         INTEGER,
    tx_power     INTEGER,
    last_seen_at TIMESTAMP,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX beacons_event ON beacons (tenant_id, event_id, id);

-- Alerts on devices and beacons. An open alert (closed_at IS NULL) is one
-- episode: the partial unique index lets a rule open it once.
CREATE TABLE gate_alerts (
    tenant_id    TEXT NOT NULL,
    id           TEXT PRIMARY KEY,
    event_id     TEXT NOT NULL DEFAULT '',
    subject_kind TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    rule         TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '',
    opened_at    TIMESTAMP NOT NULL,
    closed_at    TIMESTAMP
);
CREATE UNIQUE INDEX gate_alerts_open ON gate_alerts (tenant_id, subject_id, rule) WHERE closed_at IS NULL;
CREATE INDEX gate_alerts_event ON gate_alerts (tenant_id, event_id, opened_at);
