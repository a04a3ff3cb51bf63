package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/meter"
)

// tenantsCmd is the platform operator's: the organizations on the
// installation and their tiers.
type tenantsCmd struct {
	List    tenantsListCmd    `cmd:"" help:"List the organizations with their tier and this month's total."`
	SetTier tenantsSetTierCmd `cmd:"" name:"set-tier" help:"Move an organization to another tier (basic, professional, enterprise)."`
}

type tenantsListCmd struct {
	dbFlags
}

type tenantsSetTierCmd struct {
	dbFlags
	Tenant string `arg:"" help:"The organization's id (ten_…)."`
	Tier   string `arg:"" help:"basic, professional or enterprise."`
}

// usageCmd prints the usage statements of every organization.
type usageCmd struct {
	dbFlags
	Period string `help:"The month, as 2026-12 (UTC); default the current one." placeholder:"YYYY-MM"`
	Tenant string `help:"Only this organization, with every line of its statement." placeholder:"ID"`
}

// operatorApp opens the installation's database (migrating it) without
// serving anything.
func operatorApp(ctx context.Context, f dbFlags, log *slog.Logger) (*app.App, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	if err := existingDatabase(f); err != nil {
		return nil, err
	}
	return app.New(ctx, app.Config{Addr: "127.0.0.1:0", DataDir: f.DataDir, DatabaseURL: f.DatabaseURL}, log)
}

// existingDatabase refuses an embedded database that is not there yet: the
// operator's commands work on an installation, and on a mistyped --data-dir
// they would otherwise create an empty one and list, change or back up
// nothing, successfully.
func existingDatabase(f dbFlags) error {
	if f.DatabaseURL != "" {
		return nil
	}
	if !db.HasSQLite(f.DataDir) {
		return fmt.Errorf("no Usher database in %s (usher.db is missing): check --data-dir", f.DataDir)
	}
	return nil
}

func (c *tenantsListCmd) run(ctx context.Context, log *slog.Logger, stdout io.Writer) error {
	a, err := operatorApp(ctx, c.dbFlags, log)
	if err != nil {
		return err
	}
	defer a.Close(ctx)
	ts, err := a.Tenants(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tTIER\tCREATED\tTHIS MONTH (KRW)")
	for _, t := range ts {
		st, err := a.Statement(ctx, t.ID, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\n", t.ID, t.Name, t.Tier, t.CreatedAt.Format("2006-01-02"), st.Total)
	}
	return w.Flush()
}

func (c *tenantsSetTierCmd) run(ctx context.Context, log *slog.Logger, stdout io.Writer) error {
	a, err := operatorApp(ctx, c.dbFlags, log)
	if err != nil {
		return err
	}
	defer a.Close(ctx)
	if err := a.SetTier(ctx, c.Tenant, c.Tier); err != nil {
		return fmt.Errorf("set the tier of %s: %w", c.Tenant, err)
	}
	fmt.Fprintf(stdout, "%s is on the %s tier (running nodes apply its rate limit within 30 s)\n", c.Tenant, c.Tier)
	return nil
}

func (c *usageCmd) run(ctx context.Context, log *slog.Logger, stdout io.Writer) error {
	a, err := operatorApp(ctx, c.dbFlags, log)
	if err != nil {
		return err
	}
	defer a.Close(ctx)
	ids := []string{c.Tenant}
	if c.Tenant == "" {
		ts, err := a.Tenants(ctx)
		if err != nil {
			return err
		}
		ids = ids[:0]
		for _, t := range ts {
			ids = append(ids, t.ID)
		}
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	if c.Tenant == "" {
		fmt.Fprint(w, "TENANT\tTIER\t")
		for _, m := range meter.Metrics {
			fmt.Fprintf(w, "%s\t", m)
		}
		fmt.Fprintln(w, "TOTAL (KRW)\t")
	}
	for _, id := range ids {
		st, err := a.Statement(ctx, id, c.Period)
		if err != nil {
			return fmt.Errorf("usage of %s: %w", id, err)
		}
		if c.Tenant != "" {
			printStatement(w, id, st)
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t", id, st.Tier)
		for _, l := range st.Lines {
			fmt.Fprintf(w, "%d\t", l.Quantity)
		}
		fmt.Fprintf(w, "%d\t\n", st.Total)
	}
	return w.Flush()
}

// printStatement writes one statement line by line.
func printStatement(w io.Writer, tenantID string, st *meter.Statement) {
	final := "so far"
	if st.Final {
		final = "final"
	}
	fmt.Fprintf(w, "%s, %s (%s), tier %s\t\t\t\t\t\n", tenantID, st.Period, final, st.Tier)
	fmt.Fprintln(w, "METRIC\tUSED\tINCLUDED\tBILLABLE\tAMOUNT (KRW)\t")
	for _, l := range st.Lines {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t\n", l.Metric, l.Quantity, l.Included, l.Billable, l.Amount)
	}
	fmt.Fprintf(w, "monthly fee\t\t\t\t%d\t\n", st.MonthlyFee)
	fmt.Fprintf(w, "total\t\t\t\t%d\t\n", st.Total)
	if st.Budget > 0 {
		fmt.Fprintf(w, "budget\t\t\t\t%d (%d %% used)\t\n", st.Budget, st.Used)
	}
}
