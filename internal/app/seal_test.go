package app_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestSecretsKey: an installation that started without a secrets key gets
// one; at start its secrets, ticket keys and kept answers are sealed, and what they
// signed before (an access token, the tickets' codes) still works, as do
// new tickets; started again without the key, it refuses to start rather
// than make new keys.
func TestSecretsKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		dc := dbtest.Config(t, d)
		start := func(key []byte) (*bundle, error) {
			a, err := app.New(context.Background(), app.Config{Addr: "127.0.0.1:0", DataDir: dc.DataDir, DatabaseURL: dc.URL, SecretsKey: key},
				slog.New(slog.DiscardHandler))
			if err != nil {
				return nil, err
			}
			srv := httptest.NewServer(a.Handler())
			return &bundle{t: t, app: a, srv: srv}, nil
		}
		stop := func(b *bundle) { b.srv.Close(); b.app.Close(context.Background()) }
		unsealed := func(b *bundle) (secrets, keys int) {
			t.Helper()
			err := b.app.DB().Read(context.Background(), func(tx *db.Tx) error {
				var vals [][]byte
				if err := tx.Global().Select(&vals, `SELECT value FROM secrets UNION ALL SELECT private_key FROM ticket_keys`); err != nil {
					return err
				}
				var n int
				if err := tx.Global().Get(&n, `SELECT COUNT(*) FROM secrets`); err != nil {
					return err
				}
				for i, v := range vals {
					if !db.IsSealed(v) {
						if i < n {
							secrets++
						} else {
							keys++
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return secrets, keys
		}

		before, err := start(nil)
		if err != nil {
			t.Fatal(err)
		}
		tok := before.signup("Sealed Org", "owner@sealed.example").Access
		eid, general, _, tickets := before.gateEvent(tok, "Sealed Night", 2)
		kept := before.do("POST", "/v1/events", tok, validEvent("Kept answer"), "Idempotency-Key", "before-1")
		before.want(kept, 201, "")
		if s, k := unsealed(before); s == 0 || k != 1 {
			t.Fatalf("without a key: %d secrets and %d ticket keys stored as they are", s, k)
		}
		stop(before)

		key := bytes.Repeat([]byte{42}, db.SecretsKeySize)
		b, err := start(key)
		if err != nil {
			t.Fatal(err)
		}
		if s, k := unsealed(b); s != 0 || k != 0 {
			t.Fatalf("with a key: %d secrets and %d ticket keys left unsealed", s, k)
		}
		// So is the answer kept for a retry, which still replays.
		for _, a := range storedAnswers(t, b) {
			if !db.IsSealed(a) {
				t.Fatalf("an answer from before the key left unsealed: %s", a)
			}
		}
		if r := b.do("POST", "/v1/events", tok, validEvent("Kept answer"), "Idempotency-Key", "before-1"); r.str("id") != kept.str("id") {
			t.Fatalf("replay after sealing: %s", r.Raw)
		}
		// The access token from before still works, and so do the codes.
		gate := b.do("POST", "/v1/events/"+eid+"/gates", tok, map[string]any{"name": "Main", "kind": "main"})
		b.want(gate, 201, "")
		b.want(b.do("POST", "/v1/checkins", tok, map[string]any{"code": tickets[0].Code, "gate_id": gate.str("id")}), 200, "")
		fresh := b.buyTickets(tok, eid, general, 1)
		b.want(b.do("POST", "/v1/checkins", tok, map[string]any{"code": fresh[0].Code, "gate_id": gate.str("id")}), 200, "")
		stop(b)

		if _, err := start(nil); !errors.Is(err, db.ErrSealed) {
			t.Fatalf("started without the key: %v", err)
		}
		if _, err := start(bytes.Repeat([]byte{43}, db.SecretsKeySize)); !errors.Is(err, db.ErrSealed) {
			t.Fatalf("started with another key: %v", err)
		}
	})
}
