-- +goose Up
-- Every hold appends an event to the outbox, so an append should cost one
-- row and nothing else. The sequence needs no AUTOINCREMENT: rows are never
-- deleted, so the next rowid is always above every earlier one, and
-- AUTOINCREMENT cost a write to sqlite_sequence per event. Event ids are
-- unique by construction (UUIDv7) and nothing looks events up by id or by
-- tenant and kind (consumers read by seq), so both indexes go. If the outbox
-- is ever pruned, the newest row must be kept, or a seq could be reused.
CREATE TABLE outbox_lean (
    seq        INTEGER PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO outbox_lean (seq, tenant_id, id, kind, subject, payload, created_at)
    SELECT seq, tenant_id, id, kind, subject, payload, created_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_lean RENAME TO outbox;
DELETE FROM sqlite_sequence WHERE name = 'outbox';
