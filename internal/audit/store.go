package audit

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

// Filter narrows a listing; nil fields do not filter.
type Filter struct {
	// Actor keeps entries by this user or API key id.
	Actor *string
	// Action keeps entries of this action.
	Action *string
	// Target keeps entries about this object id.
	Target *string
	// Since keeps entries at or after the time.
	Since *time.Time
	// Until keeps entries before the time.
	Until *time.Time
}

// defaultLimit and maxLimit mirror api.PageParams, for callers that build
// the page by hand.
const (
	defaultLimit = 50
	maxLimit     = 200
)

var errNoTenant = errors.New("audit: listing without a tenant in the context")

// List returns the entries of the tenant in ctx, newest first.
func (s *Service) List(ctx context.Context, f Filter, page api.PageParams) (*api.List[Entry], error) {
	if _, ok := db.TenantFrom(ctx); !ok {
		return nil, errNoTenant
	}
	limit := page.Limit
	switch {
	case limit <= 0:
		limit = defaultLimit
	case limit > maxLimit:
		limit = maxLimit
	}
	before, err := api.DecodeCursor(page.Cursor)
	if err != nil {
		return nil, err
	}
	if before != "" && !id.Valid(before, id.Audit) {
		return nil, fault.Field("cursor", "is not a cursor returned by this API")
	}
	if f.Since != nil && f.Until != nil && !f.Since.Before(*f.Until) {
		return nil, fault.Field("until", "must be after since")
	}

	where := []string{"tenant_id = @tenant"}
	var args []any
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if before != "" {
		add("id < ?", before)
	}
	if f.Actor != nil {
		add("actor = ?", *f.Actor)
	}
	if f.Action != nil {
		add("action = ?", *f.Action)
	}
	if f.Target != nil {
		add("target = ?", *f.Target)
	}
	// UTC, because SQLite compares times as text and every stored time is
	// written in UTC.
	if f.Since != nil {
		add("at >= ?", f.Since.UTC())
	}
	if f.Until != nil {
		add("at < ?", f.Until.UTC())
	}
	args = append(args, limit+1)
	q := `SELECT id, at, actor, actor_kind, action, target, status, request_id, ip
		FROM audit_log WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY id DESC LIMIT ?`

	var items []Entry
	err = s.conn.Read(ctx, func(tx *db.Tx) error {
		return tx.Select(&items, q, args...)
	})
	if err != nil {
		return nil, err
	}
	for i := range items {
		items[i].At = items[i].At.UTC()
	}
	return api.NewList(items, limit, func(e Entry) string { return e.ID }), nil
}

// write stores rows in one transaction, each under its own tenant.
func (s *Service) write(ctx context.Context, rows []row) error {
	byTenant := make(map[string][]row)
	for _, r := range rows {
		byTenant[r.tenant] = append(byTenant[r.tenant], r)
	}
	return s.conn.Write(ctx, func(tx *db.Tx) error {
		for tenant, group := range byTenant {
			if err := insert(tx, tenant, group); err != nil {
				return err
			}
		}
		return nil
	})
}

// insert writes one tenant's rows with a single statement. Rows without a
// tenant (failed logins to unknown accounts) go in with an empty tenant_id
// through an unscoped Tx, where @tenant is not allowed.
func insert(tx *db.Tx, tenant string, rows []row) error {
	mark := "''"
	if tenant == "" {
		tx = tx.Global()
	} else {
		tx = tx.Scope(tenant)
		mark = "@tenant"
	}
	values := "(" + mark + ", ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	q := `INSERT INTO audit_log (tenant_id, id, at, actor, actor_kind, action, target, status, request_id, ip) VALUES ` +
		strings.Repeat(values+", ", len(rows)-1) + values
	args := make([]any, 0, 9*len(rows))
	for _, r := range rows {
		args = append(args, r.ID, r.At, r.Actor, r.ActorKind, r.Action, r.Target, r.Status, r.RequestID, r.IP)
	}
	_, err := tx.Exec(q, args...)
	return err
}
