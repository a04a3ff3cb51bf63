-- +goose Up
-- Flash sale: a counter of what each ticket type has taken, kept by one
-- conditional write per hold instead of a sum over every order; a flag that
-- says an expired hold's quantity was given back to that counter; seat maps
-- with their holds; and the link of a sold seat to its one paid order.

-- taken counts paid orders, orders waiting for verification and holds
-- whose quantity has not been given back (hold_released). An expired hold
-- still counts here until a later hold that needs room gives it back, so
-- readers of availability subtract expired holds themselves.
ALTER TABLE ticket_types ADD COLUMN taken INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN hold_released BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE ticket_types SET taken = (
    SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id
    WHERE i.ticket_type_id = ticket_types.id AND o.status IN ('held', 'pending_verification', 'paid'));
-- Finds the expired holds of an event whose quantity is still counted.
CREATE INDEX orders_unreleased_holds ON orders (event_id, expires_at) WHERE status = 'held' AND hold_released = FALSE;

-- A seat is available, held by one order until hold_until, or sold to one
-- order. A hold past hold_until is available without anything rewriting it.
CREATE TABLE seats (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    id             TEXT PRIMARY KEY,
    event_id       TEXT NOT NULL REFERENCES events (id),
    ticket_type_id TEXT NOT NULL REFERENCES ticket_types (id),
    section        TEXT NOT NULL,
    row_label      TEXT NOT NULL,
    number         INTEGER NOT NULL CHECK (number > 0),
    position       INTEGER NOT NULL,
    status         TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'held', 'sold')),
    hold_order     TEXT,
    hold_until     TIMESTAMP,
    sold_order     TEXT,
    created_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX seats_place ON seats (event_id, section, row_label, number);
CREATE INDEX seats_event ON seats (tenant_id, event_id, position);
CREATE INDEX seats_hold_order ON seats (hold_order) WHERE hold_order IS NOT NULL;
CREATE INDEX seats_sold_order ON seats (sold_order) WHERE sold_order IS NOT NULL;

-- One row per sold seat: the primary key is what makes a seat impossible
-- to sell to two paid orders, whatever the code above it does.
CREATE TABLE seat_sales (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    seat_id   TEXT PRIMARY KEY REFERENCES seats (id),
    order_id  TEXT NOT NULL REFERENCES orders (id),
    sold_at   TIMESTAMP NOT NULL
);
CREATE INDEX seat_sales_order ON seat_sales (order_id);

-- The seats an order asked for, with the price each was held at.
CREATE TABLE order_seats (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    order_id       TEXT NOT NULL REFERENCES orders (id),
    seat_id        TEXT NOT NULL REFERENCES seats (id),
    ticket_type_id TEXT NOT NULL REFERENCES ticket_types (id),
    unit_price     BIGINT NOT NULL,
    PRIMARY KEY (order_id, seat_id)
);
CREATE INDEX order_seats_seat ON order_seats (seat_id);
