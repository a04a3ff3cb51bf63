package app

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/job"
	"github.com/usher-events/usher/internal/privacy"
)

// The hourly jobs: the retention purge and the budget check. Each run
// schedules the next under a key naming its hour, so that however many
// nodes run, each job runs once per hour.
const (
	purgeJob  = "privacy.purge"
	budgetJob = "meter.budgets"
)

// hourlyEvery is how often they run.
const hourlyEvery = time.Hour

// hourly lists the hourly jobs with what they do.
func (a *App) hourly() map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		purgeJob: func(ctx context.Context) error {
			_, err := a.Purge(ctx)
			return err
		},
		budgetJob: a.meter.CheckBudgets,
	}
}

// handleHourly registers the hourly jobs with the job runner.
func (a *App) handleHourly() {
	for kind, run := range a.hourly() {
		a.jobs.Handle(kind, func(ctx context.Context, _ *job.Job) error {
			err := run(ctx)
			// The next run is scheduled whatever this one did: this run's
			// retries are the job's, and the next hour comes regardless.
			return errors.Join(err, a.scheduleAt(ctx, kind, a.now().Add(hourlyEvery)))
		})
	}
}

// scheduleHourly schedules the run of this hour of every hourly job.
func (a *App) scheduleHourly(ctx context.Context) {
	for kind := range a.hourly() {
		if err := a.scheduleAt(ctx, kind, a.now()); err != nil {
			a.log.Error("schedule an hourly job", "kind", kind, "err", err)
		}
	}
}

// scheduleAt enqueues the run of kind in the hour of at (once, across
// nodes).
func (a *App) scheduleAt(ctx context.Context, kind string, at time.Time) error {
	hour := at.UTC().Truncate(hourlyEvery)
	return a.db.Write(ctx, func(tx *db.Tx) error {
		_, _, err := job.Enqueue(tx.Global(), kind, struct{}{}, job.Opts{RunAt: hour, DedupeKey: kind + ":" + hour.Format(time.RFC3339)})
		return err
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

// eraseAgainJob is the second erasure of a person, a minute after the first
// (privacy.Service.OnErase): a message rendered before the erasure and
// recorded after it is erased then. The job's payload holds the person's
// email and phone until it has run (the erasures leave such jobs alone), and
// is emptied then.
const eraseAgainJob = "privacy.erase-again"

// eraseAgainAfter is how long the second erasure waits.
const eraseAgainAfter = time.Minute

// handleEraseAgain connects the second erasure to the job runner.
func (a *App) handleEraseAgain() {
	a.privacy.OnErase(func(ctx context.Context, in privacy.Request) error {
		return a.db.Write(ctx, func(tx *db.Tx) error {
			_, _, err := job.Enqueue(tx, eraseAgainJob, in, job.Opts{RunAt: a.now().Add(eraseAgainAfter)})
			return err
		})
	})
	a.jobs.Handle(eraseAgainJob, func(ctx context.Context, j *job.Job) error {
		var in privacy.Request
		if err := json.Unmarshal(j.Payload, &in); err != nil {
			return job.Permanent(err)
		}
		if _, err := a.privacy.EraseAgain(ctx, in); err != nil {
			return err
		}
		return a.db.Write(ctx, func(tx *db.Tx) error { return job.ClearPayload(tx, j.ID) })
	})
}
