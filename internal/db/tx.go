package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"

	"github.com/usher-events/usher/internal/fault"
)

// Tx runs queries for one unit of work. It is the single place where tenant
// isolation is applied: a Tx scoped to a tenant refuses any query that does
// not contain the @tenant marker, and replaces every @tenant with a bound
// parameter holding the scope's tenant id. Domain code therefore never passes
// a tenant id by hand, and a forgotten filter fails loudly instead of leaking.
//
// A Tx without a tenant (public or platform work) refuses queries that use
// @tenant; it can narrow itself with Scope once it knows the owner.
type Tx struct {
	ctx     context.Context
	q       sqlx.ExtContext
	dialect Dialect
	tenant  string
	// stmts, on SQLite's writer, reuses prepared statements across
	// transactions; nil elsewhere.
	stmts *stmtCache
}

// ErrUnscoped is returned for a query that does not match its Tx's scope.
var ErrUnscoped = errors.New("db: query does not match the tenant scope")

// Context returns the context of the unit of work.
func (tx *Tx) Context() context.Context { return tx.ctx }

// Dialect reports the SQL engine, for the rare query that must differ.
func (tx *Tx) Dialect() Dialect { return tx.dialect }

// ForUpdate is " FOR UPDATE" on PostgreSQL, for a read that the rest of the
// transaction depends on, and "" on SQLite, whose single writer already
// keeps every other write out.
func (tx *Tx) ForUpdate() string {
	if tx.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// Tenant returns the tenant this Tx is scoped to, or "".
func (tx *Tx) Tenant() string { return tx.tenant }

// Scope returns a Tx on the same transaction scoped to tenantID.
func (tx *Tx) Scope(tenantID string) *Tx {
	c := *tx
	c.tenant = tenantID
	c.ctx = WithTenant(tx.ctx, tenantID)
	return &c
}

// Global returns a Tx on the same transaction without a tenant scope, for
// platform tables (tenants by email, signing keys) that no tenant owns.
func (tx *Tx) Global() *Tx {
	c := *tx
	c.tenant = ""
	return &c
}

// Exec runs a statement.
func (tx *Tx) Exec(query string, args ...any) (sql.Result, error) {
	q, a, err := tx.bind(query, args)
	if err != nil {
		return nil, err
	}
	if st := tx.stmt(q); st != nil {
		res, err := st.ExecContext(tx.ctx, a...)
		return res, interpret(err)
	}
	res, err := tx.q.ExecContext(tx.ctx, q, a...)
	return res, interpret(err)
}

// ExecOne runs a statement that must change exactly one row; zero rows is a
// fault.NotFound.
func (tx *Tx) ExecOne(query string, args ...any) error {
	res, err := tx.Exec(query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fault.New(fault.NotFound, "not found")
	}
	return nil
}

// Get scans one row into dst (a struct with db tags, or a scalar). No row is
// a fault.NotFound.
func (tx *Tx) Get(dst any, query string, args ...any) error {
	q, a, err := tx.bind(query, args)
	if err != nil {
		return err
	}
	if st := tx.stmt(q); st != nil {
		return interpret(st.GetContext(tx.ctx, dst, a...))
	}
	return interpret(sqlx.GetContext(tx.ctx, tx.q, dst, q, a...))
}

// Select scans every row into dst, a pointer to a slice.
func (tx *Tx) Select(dst any, query string, args ...any) error {
	q, a, err := tx.bind(query, args)
	if err != nil {
		return err
	}
	if st := tx.stmt(q); st != nil {
		return interpret(st.SelectContext(tx.ctx, dst, a...))
	}
	return interpret(sqlx.SelectContext(tx.ctx, tx.q, dst, q, a...))
}

// bound is a query with its @tenant markers resolved: the SQL to run and, for
// each original argument, whether the tenant is inserted before it.
type bound struct {
	sql      string
	tenantAt []int // argument indexes before which the tenant id goes
	tenants  int
}

var boundCache sync.Map // map[cacheKey]*bound

type cacheKey struct {
	query   string
	dialect Dialect
}

func (tx *Tx) bind(query string, args []any) (string, []any, error) {
	key := cacheKey{query, tx.dialect}
	v, ok := boundCache.Load(key)
	if !ok {
		b := compile(query, tx.dialect)
		v, _ = boundCache.LoadOrStore(key, b)
	}
	b := v.(*bound)
	if err := storableArgs(args); err != nil {
		return "", nil, err
	}
	switch {
	case tx.tenant != "" && b.tenants == 0:
		return "", nil, fmt.Errorf("%w: tenant-scoped query without @tenant: %s", ErrUnscoped, firstLine(query))
	case tx.tenant == "" && b.tenants > 0:
		return "", nil, fmt.Errorf("%w: @tenant in a query without a tenant: %s", ErrUnscoped, firstLine(query))
	case b.tenants == 0:
		return b.sql, args, nil
	}
	out := make([]any, 0, len(args)+b.tenants)
	next := 0
	for i := 0; i <= len(args); i++ {
		for next < len(b.tenantAt) && b.tenantAt[next] == i {
			out = append(out, tx.tenant)
			next++
		}
		if i < len(args) {
			out = append(out, args[i])
		}
	}
	return b.sql, out, nil
}

// ErrNUL refuses text with the NUL character, which PostgreSQL cannot store
// in text; it is refused on SQLite too, so that both databases keep the same
// data. It is a client's error (400 invalid_request), and the statement that
// met it never runs.
var ErrNUL = fault.New(fault.Invalid, "text may not contain the NUL character (U+0000)")

// storableArgs checks the text arguments of a statement (byte slices are
// binary and may hold anything).
func storableArgs(args []any) error {
	for _, a := range args {
		switch v := a.(type) {
		case string:
			if strings.IndexByte(v, 0) >= 0 {
				return ErrNUL
			}
		case *string:
			if v != nil && strings.IndexByte(*v, 0) >= 0 {
				return ErrNUL
			}
		}
	}
	return nil
}

// compile replaces @tenant with a placeholder, remembers where the tenant
// argument goes, and rebinds placeholders for the dialect. It skips quoted
// strings so that a literal "?" or "@tenant" in SQL text is left alone.
func compile(query string, d Dialect) *bound {
	var sb strings.Builder
	b := &bound{}
	args := 0
	inQuote := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			sb.WriteByte(c)
		case inQuote:
			sb.WriteByte(c)
		case c == '?':
			args++
			sb.WriteByte('?')
		case c == '@' && strings.HasPrefix(query[i:], "@tenant"):
			b.tenantAt = append(b.tenantAt, args)
			b.tenants++
			sb.WriteByte('?')
			i += len("@tenant") - 1
		default:
			sb.WriteByte(c)
		}
	}
	b.sql = sb.String()
	if d == Postgres {
		b.sql = sqlx.Rebind(sqlx.DOLLAR, b.sql)
	}
	return b
}

func firstLine(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		q = q[:i] + " …"
	}
	return q
}

// stmtCache keeps the writer's prepared statements. Re-parsing every
// statement was about a third of the SQLite writer's time under load; a
// statement prepared once on the write pool is reused by each transaction
// on the same connection (database/sql looks it up per connection). Only the
// writer goroutine uses it.
type stmtCache struct {
	pool  *sqlx.DB
	stmts map[string]*sqlx.Stmt
}

// maxStmts bounds the cache; queries built with a variable number of
// placeholders beyond it simply run unprepared.
const maxStmts = 512

func (tx *Tx) stmt(q string) *sqlx.Stmt {
	if tx.stmts == nil {
		return nil
	}
	st := tx.stmts.prepared(q)
	if st == nil {
		return nil
	}
	sqlTx, ok := tx.q.(*sqlx.Tx)
	if !ok {
		return nil
	}
	return sqlTx.StmtxContext(tx.ctx, st)
}

// prepared returns the cached statement for q, preparing it on first use, or
// nil if it cannot be prepared or the cache is full (the unprepared path then
// runs it, and reports the error).
func (s *stmtCache) prepared(q string) *sqlx.Stmt {
	if st, ok := s.stmts[q]; ok {
		return st
	}
	if len(s.stmts) >= maxStmts {
		return nil
	}
	// Prepared on the pool, not the transaction, so it outlives it.
	st, err := s.pool.PreparexContext(context.Background(), q)
	if err != nil {
		return nil
	}
	s.stmts[q] = st
	return st
}
