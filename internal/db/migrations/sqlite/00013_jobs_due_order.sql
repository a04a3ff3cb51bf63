-- +goose Up
-- Claims read due jobs in (run_at, id) order; with id in the index the
-- order comes from the index and LIMIT stops early instead of sorting the
-- whole backlog.
CREATE INDEX jobs_due_order ON jobs (status, run_at, id);
DROP INDEX jobs_due;
