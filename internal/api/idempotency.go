package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

const (
	// idempotencyTTL is how long a key's first answer is replayed.
	idempotencyTTL = 24 * time.Hour
	// idempotencyStale is when a key still "in progress" is taken to belong
	// to a request that died, and may be claimed again.
	idempotencyStale = time.Minute
	maxKeyLen        = 255
)

// replayHeaders are the response headers kept with an idempotent answer.
var replayHeaders = []string{"Content-Type", "Location", "Retry-After"}

// idempotent makes creating POSTs with an Idempotency-Key safe to retry: the
// first request claims the key (per tenant, or per public caller) with a
// hash of its body; a retry with the same body gets the first answer again
// without running the handler; the same key with another body is a 422
// idempotency_key_reused, and so is the same key sent by another user or API
// key of the tenant; a retry while the first is still running is a 409
// idempotency_key_in_use. A request refused for its form (a malformed or
// invalid body) and a server error, which may not have run to the end,
// release the key, so the client can fix its request or retry for real;
// other answers, refusals for the state of things included (sold out),
// are replayed. With a secrets key the stored answers are sealed, since
// some hold what is shown only once (a new API key, a token).
func idempotent(conn *db.DB, now func() time.Time, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if r.Method != http.MethodPost || key == "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		if len(key) > maxKeyLen {
			WriteError(w, r, fault.Field("Idempotency-Key", "must be at most 255 characters"))
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				WriteError(w, r, fault.New(fault.TooLarge, "the request body is larger than %d bytes", mbe.Limit))
				return
			}
			WriteError(w, r, fault.Wrap(err, fault.Invalid, "the request body could not be read"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		scope, actor := "public", ""
		if p, ok := PrincipalFrom(ctx); ok {
			scope, actor = p.TenantID, p.ActorID
		}
		request := r.Method + " " + r.URL.Path
		// The caller is part of the request: an answer is replayed only to
		// the user or API key that got it first. The replay runs before the
		// operation's role check, so anyone else of the tenant sending the
		// same key and body would otherwise receive what they may not see
		// (a new API key, an invitation, a personal-data export).
		sum := sha256.Sum256(append([]byte(request+"\n"+actor+"\n"), body...))
		hash := hex.EncodeToString(sum[:])

		prior, err := claimKey(ctx, conn, now(), scope, key, request, hash)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		if prior != nil {
			if err := prior.replay(w, conn, scope, key); err != nil {
				WriteError(w, r, err)
			}
			return
		}
		rec := &recorder{ResponseWriter: w}
		completed := false
		defer func() {
			if !completed {
				releaseKey(context.WithoutCancel(ctx), conn, scope, key)
			}
		}()
		next.ServeHTTP(rec, r)
		switch {
		case rec.status == 0, rec.status >= 500,
			rec.status == http.StatusUnauthorized, rec.status == http.StatusForbidden,
			rec.status == http.StatusTooManyRequests, refusedForm(rec):
			// Not an answer to the request as it will be sent again: let
			// a retry run it.
			return
		}
		completed = true
		saveAnswer(context.WithoutCancel(ctx), conn, scope, key, rec)
	})
}

// refusedForm reports whether the answer refused the request for its form
// (malformed, too large, of another media type, or failing validation), so
// that nothing of the state of things went into it.
func refusedForm(rec *recorder) bool {
	switch rec.status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return true
	case http.StatusUnprocessableEntity:
		var p struct {
			Code fault.Code `json:"code"`
		}
		json.Unmarshal(rec.body.Bytes(), &p)
		return p.Code == fault.Validation || p.Code == fault.Invalid
	}
	return false
}

type storedAnswer struct {
	Request  string    `db:"request"`
	BodyHash string    `db:"body_hash"`
	Status   int       `db:"status"`
	Header   string    `db:"header"`
	Body     []byte    `db:"body"`
	Created  time.Time `db:"created_at"`
}

// answerLabel binds a sealed answer to its key, so that it opens nowhere
// else.
func answerLabel(scope, key string) string { return "idempotency:" + scope + ":" + key }

func (a *storedAnswer) replay(w http.ResponseWriter, conn *db.DB, scope, key string) error {
	body, err := conn.Open(a.Body, answerLabel(scope, key))
	if err != nil {
		return err
	}
	var h map[string]string
	json.Unmarshal([]byte(a.Header), &h)
	for k, v := range h {
		w.Header().Set(k, v)
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(a.Status)
	w.Write(body)
	return nil
}

// claimKey records the key as in progress, or returns the stored answer of
// an earlier request with the same key.
func claimKey(ctx context.Context, conn *db.DB, now time.Time, scope, key, request, hash string) (*storedAnswer, error) {
	var prior *storedAnswer
	err := conn.Write(ctx, func(tx *db.Tx) error {
		tx = tx.Global()
		var a storedAnswer
		err := tx.Get(&a, `SELECT request, body_hash, status, header, body, created_at FROM idempotency_keys WHERE scope = ? AND key = ?`, scope, key)
		switch {
		case fault.Is(err, fault.NotFound):
		case err != nil:
			return err
		case now.Sub(a.Created) > idempotencyTTL || (a.Status == 0 && now.Sub(a.Created) > idempotencyStale):
			// Expired, or claimed by a request that never finished.
			if _, err := tx.Exec(`DELETE FROM idempotency_keys WHERE scope = ? AND key = ?`, scope, key); err != nil {
				return err
			}
		case a.Request != request || a.BodyHash != hash:
			return fault.New(fault.IdempotencyRe, "this Idempotency-Key was used with a different request")
		case a.Status == 0:
			return fault.New(fault.IdempotencyUse, "a request with this Idempotency-Key is still in progress; retry shortly")
		default:
			prior = &a
			return nil
		}
		_, err = tx.Exec(`INSERT INTO idempotency_keys (scope, key, request, body_hash, status, header, created_at) VALUES (?, ?, ?, ?, 0, '', ?)`,
			scope, key, request, hash, now)
		if fault.Is(err, fault.Conflict) {
			return fault.New(fault.IdempotencyUse, "a request with this Idempotency-Key is still in progress; retry shortly")
		}
		return err
	})
	return prior, err
}

func saveAnswer(ctx context.Context, conn *db.DB, scope, key string, rec *recorder) {
	h := map[string]string{}
	for _, k := range replayHeaders {
		if v := rec.Header().Get(k); v != "" {
			h[k] = v
		}
	}
	hb, _ := json.Marshal(h)
	body, err := conn.Seal(rec.body.Bytes(), answerLabel(scope, key))
	if err == nil {
		err = conn.Write(ctx, func(tx *db.Tx) error {
			_, err := tx.Global().Exec(`UPDATE idempotency_keys SET status = ?, header = ?, body = ? WHERE scope = ? AND key = ?`,
				rec.status, string(hb), body, scope, key)
			return err
		})
	}
	if err != nil {
		Logger(ctx).Error("idempotency: store answer", "err", err)
	}
}

func releaseKey(ctx context.Context, conn *db.DB, scope, key string) {
	err := conn.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Global().Exec(`DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status = 0`, scope, key)
		return err
	})
	if err != nil {
		Logger(ctx).Error("idempotency: release key", "err", err)
	}
}

// recorder passes a response through while keeping a copy of it.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// ScrubAnswers rewrites the stored answers that fn changes, among the tx
// tenant's answers whose body contains one of match and the public callers'
// answers whose body contains one of publicMatch (a public answer belongs to
// no tenant, so it is found by the ids of the tenant's records it shows),
// and reports how many it changed. A personal-data erasure calls it so that
// a retried request cannot replay what the erasure blanked. Matching is
// case-insensitive. Sealed answers are opened to be searched, so with a
// secrets key every answer of the scope (at most a day's) is read.
func ScrubAnswers(conn *db.DB, tx *db.Tx, match, publicMatch []string, fn func([]byte) ([]byte, bool)) (int, error) {
	text := `lower(CAST(body AS TEXT))`
	if tx.Dialect() == db.Postgres {
		text = `lower(convert_from(body, 'UTF8'))`
	}
	g := tx.Global()
	n := 0
	for _, set := range []struct {
		scope string
		match []string
	}{{tx.Tenant(), match}, {"public", publicMatch}} {
		if set.scope == "" || len(set.match) == 0 {
			continue
		}
		lower := make([][]byte, len(set.match))
		for i, m := range set.match {
			lower[i] = bytes.ToLower([]byte(m))
		}
		query := `SELECT key, body FROM idempotency_keys WHERE scope = ? AND body IS NOT NULL`
		args := []any{set.scope}
		if !conn.Sealing() {
			// Unsealed bodies are searched by the database.
			conds := make([]string, len(set.match))
			for i, m := range lower {
				conds[i] = text + ` LIKE ? ESCAPE '\'`
				args = append(args, db.Contains(string(m)))
			}
			query += ` AND (` + strings.Join(conds, " OR ") + `)`
		}
		var rows []struct {
			Key  string `db:"key"`
			Body []byte `db:"body"`
		}
		if err := g.Select(&rows, query, args...); err != nil {
			return n, err
		}
		for _, r := range rows {
			label := answerLabel(set.scope, r.Key)
			plain, err := conn.Open(r.Body, label)
			if err != nil {
				return n, err
			}
			folded := bytes.ToLower(plain)
			if !slices.ContainsFunc(lower, func(m []byte) bool { return bytes.Contains(folded, m) }) {
				continue
			}
			out, changed := fn(plain)
			if !changed {
				continue
			}
			if out, err = conn.Seal(out, label); err != nil {
				return n, err
			}
			if _, err := g.Exec(`UPDATE idempotency_keys SET body = ? WHERE scope = ? AND key = ?`, out, set.scope, r.Key); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// SealAnswers seals the stored answers kept from before a secrets key was
// configured (a no-op without one), and reports how many.
func SealAnswers(ctx context.Context, conn *db.DB) (int, error) {
	if !conn.Sealing() {
		return 0, nil
	}
	n := 0
	err := conn.Write(ctx, func(tx *db.Tx) error {
		g := tx.Global()
		var rows []struct {
			Scope string `db:"scope"`
			Key   string `db:"key"`
			Body  []byte `db:"body"`
		}
		if err := g.Select(&rows, `SELECT scope, key, body FROM idempotency_keys WHERE body IS NOT NULL`); err != nil {
			return err
		}
		for _, r := range rows {
			if db.IsSealed(r.Body) {
				continue
			}
			sealed, err := conn.Seal(r.Body, answerLabel(r.Scope, r.Key))
			if err != nil {
				return err
			}
			if _, err := g.Exec(`UPDATE idempotency_keys SET body = ? WHERE scope = ? AND key = ?`, sealed, r.Scope, r.Key); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// PurgeAnswers deletes up to limit of the stored answers older than before,
// of the tx tenant and of the public callers, and reports how many.
func PurgeAnswers(tx *db.Tx, before time.Time, limit int) (int, error) {
	res, err := tx.Global().Exec(`DELETE FROM idempotency_keys WHERE (scope, key) IN (
		SELECT scope, key FROM idempotency_keys WHERE scope IN (?, 'public') AND created_at < ? LIMIT ?)`, tx.Tenant(), before, limit)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
