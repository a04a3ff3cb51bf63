-- +goose Up
-- Commerce: ticket types, sessions and registration forms of events;
-- customers and their points wallets with a double-entry ledger; orders with
-- their quantity holds, session choices, consents and issued tickets.

ALTER TABLE events ADD COLUMN hold_ttl_seconds INTEGER NOT NULL DEFAULT 300;

CREATE TABLE ticket_types (
    tenant_id             TEXT NOT NULL REFERENCES tenants (id),
    id                    TEXT PRIMARY KEY,
    event_id              TEXT NOT NULL REFERENCES events (id),
    name                  TEXT NOT NULL,
    price                 BIGINT NOT NULL CHECK (price >= 0),
    currency              TEXT NOT NULL,
    quota                 INTEGER NOT NULL CHECK (quota >= 0),
    sales_start           TIMESTAMPTZ,
    sales_end             TIMESTAMPTZ,
    perks                 TEXT NOT NULL DEFAULT '',
    requires_verification BOOLEAN NOT NULL DEFAULT FALSE,
    min_per_order         INTEGER NOT NULL DEFAULT 1,
    max_per_order         INTEGER NOT NULL DEFAULT 10,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX ticket_types_event ON ticket_types (tenant_id, event_id, id);

CREATE TABLE event_sessions (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT PRIMARY KEY,
    event_id   TEXT NOT NULL REFERENCES events (id),
    name       TEXT NOT NULL,
    track      TEXT NOT NULL DEFAULT '',
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    capacity   INTEGER NOT NULL CHECK (capacity > 0),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX event_sessions_event ON event_sessions (tenant_id, event_id, starts_at);

CREATE TABLE registration_forms (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    event_id   TEXT PRIMARY KEY REFERENCES events (id),
    fields     TEXT NOT NULL,
    consents   TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE customers (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT PRIMARY KEY,
    email      TEXT NOT NULL,
    name       TEXT NOT NULL,
    phone      TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX customers_email ON customers (tenant_id, email);
CREATE INDEX customers_tenant ON customers (tenant_id, id);

CREATE TABLE wallets (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL UNIQUE REFERENCES customers (id),
    balance     BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),
    updated_at  TIMESTAMPTZ NOT NULL
);

-- Every movement is two rows that sum to zero: the wallet's side and the
-- tenant's system account ("issued" for charges, "sales" for payments and
-- refunds).
CREATE TABLE ledger_entries (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    id          TEXT PRIMARY KEY,
    transfer_id TEXT NOT NULL,
    account     TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('charge', 'payment', 'refund')),
    order_id    TEXT,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX ledger_entries_account ON ledger_entries (tenant_id, account, id);
-- An order is paid from, and refunded to, a wallet at most once.
CREATE UNIQUE INDEX ledger_entries_order_once ON ledger_entries (account, order_id, kind) WHERE order_id IS NOT NULL;

CREATE TABLE orders (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    id             TEXT PRIMARY KEY,
    event_id       TEXT NOT NULL REFERENCES events (id),
    customer_id    TEXT REFERENCES customers (id),
    status         TEXT NOT NULL CHECK (status IN ('held', 'pending_verification', 'paid', 'cancelled', 'rejected')),
    buyer_name     TEXT NOT NULL,
    buyer_email    TEXT NOT NULL,
    buyer_phone    TEXT NOT NULL DEFAULT '',
    locale         TEXT NOT NULL,
    total          BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    expires_at     TIMESTAMPTZ,
    answers        TEXT NOT NULL DEFAULT '{}',
    attendees      TEXT NOT NULL DEFAULT '[]',
    source         TEXT NOT NULL DEFAULT 'api',
    payment_method TEXT,
    paid_at        TIMESTAMPTZ,
    cancelled_at   TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX orders_event ON orders (tenant_id, event_id, id);
CREATE INDEX orders_customer ON orders (tenant_id, customer_id);

CREATE TABLE order_items (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    order_id       TEXT NOT NULL REFERENCES orders (id),
    ticket_type_id TEXT NOT NULL REFERENCES ticket_types (id),
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    unit_price     BIGINT NOT NULL,
    PRIMARY KEY (order_id, ticket_type_id)
);
CREATE INDEX order_items_ticket_type ON order_items (ticket_type_id);

CREATE TABLE order_sessions (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    order_id   TEXT NOT NULL REFERENCES orders (id),
    session_id TEXT NOT NULL REFERENCES event_sessions (id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, session_id)
);
CREATE INDEX order_sessions_session ON order_sessions (session_id);

CREATE TABLE order_consents (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    order_id  TEXT NOT NULL REFERENCES orders (id),
    key       TEXT NOT NULL,
    version   TEXT NOT NULL,
    granted   BOOLEAN NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (order_id, key)
);

CREATE TABLE order_tickets (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    ticket_id      TEXT PRIMARY KEY,
    order_id       TEXT NOT NULL REFERENCES orders (id),
    ticket_type_id TEXT NOT NULL REFERENCES ticket_types (id),
    attendee_name  TEXT NOT NULL,
    attendee_email TEXT NOT NULL DEFAULT '',
    code           TEXT NOT NULL,
    issued_at      TIMESTAMPTZ NOT NULL,
    revoked_at     TIMESTAMPTZ
);
CREATE INDEX order_tickets_order ON order_tickets (tenant_id, order_id);
