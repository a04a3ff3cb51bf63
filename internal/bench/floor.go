package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/id"
)

// The floor of a hold: the least any durable hold could cost on this stack.
//
// `usher bench flash-sale --floor` sends the same buyers' requests to
// floorPath instead of the orders API. The handler behind it, mounted only on
// the rehearsal's in-process server, keeps what every hold must pay: the
// same HTTP server and middleware (authentication, idempotency keys, the
// audit log), a JSON body, and one write through the same single writer and
// WAL sync (a slim row, and the stock taken by one conditional UPDATE). It
// drops what the orders API adds on top: schema validation, the event's rules
// (sales windows, limits, forms), the order's items and answers, its domain
// event (messages, webhooks, rankings) and the full order in the answer.
//
// The rate it reaches, as a share of GET /healthz in the same run, bounds
// from above what any design of the real hold can reach here.

// floorPath is where the rehearsal's server answers floor holds.
const floorPath = "/bench/floor-holds"

// mountFloor adds the floor hold to the in-process server, with its tables
// and a stock of quota.
func mountFloor(quota int) func(*app.App) error {
	return func(a *app.App) error {
		conn := a.DB()
		if conn.Dialect() != db.SQLite {
			return errors.New("the floor is measured on the in-process SQLite server only")
		}
		err := conn.Write(context.Background(), func(tx *db.Tx) error {
			g := tx.Global()
			for _, q := range []string{
				`CREATE TABLE bench_floor_holds (id TEXT PRIMARY KEY, buyer_name TEXT NOT NULL, buyer_email TEXT NOT NULL,
					ticket_type_id TEXT NOT NULL, quantity INTEGER NOT NULL, expires_at TIMESTAMP NOT NULL, created_at TIMESTAMP NOT NULL)`,
				`CREATE TABLE bench_floor_stock (id INTEGER PRIMARY KEY, taken INTEGER NOT NULL, quota INTEGER NOT NULL)`,
			} {
				if _, err := g.Exec(q); err != nil {
					return err
				}
			}
			_, err := g.Exec(`INSERT INTO bench_floor_stock (id, taken, quota) VALUES (1, 0, ?)`, quota)
			return err
		})
		if err != nil {
			return fmt.Errorf("floor tables: %w", err)
		}
		a.Server().Mux().HandleFunc("POST "+floorPath, func(w http.ResponseWriter, r *http.Request) {
			var in struct {
				Buyer struct {
					Name  string `json:"name"`
					Email string `json:"email"`
				} `json:"buyer"`
				Items []struct {
					TicketTypeID string `json:"ticket_type_id"`
					Quantity     int    `json:"quantity"`
				} `json:"items"`
			}
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Items) != 1 || in.Items[0].Quantity < 1 {
				http.Error(w, "one item with a quantity, please", http.StatusBadRequest)
				return
			}
			it := in.Items[0]
			now := time.Now().UTC()
			out := struct {
				ID        string    `json:"id"`
				Status    string    `json:"status"`
				ExpiresAt time.Time `json:"expires_at"`
			}{ID: id.New("ord"), Status: "held", ExpiresAt: now.Add(5 * time.Minute)}
			soldOut := false
			err := conn.Write(r.Context(), func(tx *db.Tx) error {
				g := tx.Global()
				res, err := g.Exec(`UPDATE bench_floor_stock SET taken = taken + ? WHERE id = 1 AND taken + ? <= quota`, it.Quantity, it.Quantity)
				if err != nil {
					return err
				}
				if n, err := res.RowsAffected(); err != nil || n == 0 {
					soldOut = err == nil
					return err
				}
				_, err = g.Exec(`INSERT INTO bench_floor_holds (id, buyer_name, buyer_email, ticket_type_id, quantity, expires_at, created_at)
					VALUES (?, ?, ?, ?, ?, ?, ?)`, out.ID, in.Buyer.Name, in.Buyer.Email, it.TicketTypeID, it.Quantity, out.ExpiresAt, now)
				return err
			})
			switch {
			case err != nil && r.Context().Err() != nil:
				http.Error(w, "the rehearsal ended", http.StatusServiceUnavailable)
			case err != nil:
				http.Error(w, err.Error(), http.StatusInternalServerError)
			case soldOut:
				http.Error(w, "sold out", http.StatusConflict)
			default:
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusCreated)
				json.NewEncoder(w).Encode(out)
			}
		})
		return nil
	}
}

// floorTaken reads how much of the floor's stock was taken and how many
// holds were written, for the oversold check.
func floorTaken(a *app.App) (taken, holds int, err error) {
	err = a.DB().Read(context.Background(), func(tx *db.Tx) error {
		g := tx.Global()
		if err := g.Get(&taken, `SELECT taken FROM bench_floor_stock WHERE id = 1`); err != nil {
			return err
		}
		return g.Get(&holds, `SELECT COALESCE(SUM(quantity), 0) FROM bench_floor_holds`)
	})
	return taken, holds, err
}
