package app

import "context"

// FlushAudit writes every queued audit entry now (for tests and tools that
// read the log right after acting).
func (a *App) FlushAudit(ctx context.Context) error { return a.audit.Flush(ctx) }
