-- +goose Up
-- A public buyer proves an order is theirs with a secret from its link
-- ("my tickets"), and a wallet is theirs with an access code the organizer
-- gave them. Only SHA-256 hashes are kept: the secrets are shown once.
ALTER TABLE orders ADD COLUMN access_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN access_code_hash TEXT NOT NULL DEFAULT '';
