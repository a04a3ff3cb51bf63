-- +goose Up
-- The language a person reads Usher's messages to them in (budget alerts):
-- "ko" or "en", set at sign-up or invitation and changed with PATCH /v1/me.
ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT 'ko';

