-- +goose Up
ALTER TABLE orders ADD COLUMN queue_token TEXT NOT NULL DEFAULT '';
