-- +goose Up
-- Every hold appends an event to the outbox, so an append should cost one
-- row and its sequence, nothing else. Event ids are unique by construction
-- (UUIDv7) and nothing looks events up by id or by tenant and kind
-- (consumers read by seq), so both indexes go.
ALTER TABLE outbox DROP CONSTRAINT outbox_id_key;
DROP INDEX outbox_tenant_kind;
