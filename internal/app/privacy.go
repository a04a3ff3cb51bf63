package app

import (
	"context"
	"errors"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/job"
	"github.com/usher-events/usher/internal/privacy"
)

// purgeJob is the job kind of the retention purge. Each run schedules the
// next one under a key naming its hour, so that however many nodes run, one
// purge runs per hour.
const purgeJob = "privacy.purge"

// purgeEvery is how often the retention purge runs.
const purgeEvery = time.Hour

// handlePurges registers the hourly retention purge with the job runner.
func (a *App) handlePurges() {
	a.jobs.Handle(purgeJob, func(ctx context.Context, _ *job.Job) error {
		_, err := a.Purge(ctx)
		// The next run is scheduled whatever this one did: its own retries
		// are the job's, and the purge goes on next hour regardless.
		return errors.Join(err, a.schedulePurge(ctx, a.now().Add(purgeEvery)))
	})
}

// Purge runs the retention purge now, for every tenant with a retention
// period, and logs what it erased.
func (a *App) Purge(ctx context.Context) (privacy.PurgeReport, error) {
	report, err := a.privacy.Purge(ctx)
	for tenant, erased := range report {
		a.log.Info("retention purge", "tenant", tenant, "erased", erased)
	}
	return report, err
}

// schedulePurge enqueues the purge of the hour at (once, across nodes).
func (a *App) schedulePurge(ctx context.Context, at time.Time) error {
	hour := at.UTC().Truncate(purgeEvery)
	return a.db.Write(ctx, func(tx *db.Tx) error {
		_, _, err := job.Enqueue(tx.Global(), purgeJob, struct{}{}, job.Opts{RunAt: hour, DedupeKey: purgeJob + ":" + hour.Format(time.RFC3339)})
		return err
	})
}
