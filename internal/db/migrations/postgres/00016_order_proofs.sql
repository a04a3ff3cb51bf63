-- +goose Up
-- The proof a buyer sends for a ticket type that requires verification (a
-- student ID, say): one file per order, replaced by a new upload until staff
-- decide, kept with the order afterwards.
CREATE TABLE order_proofs (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    order_id     TEXT PRIMARY KEY REFERENCES orders (id),
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    data         BYTEA NOT NULL,
    uploaded_at  TIMESTAMPTZ NOT NULL
);
