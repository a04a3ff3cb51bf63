// Package gatenode is the venue edge node (`usher gate`): it keeps a local
// copy of what an event's gates need (public keys, tickets, gates, the
// re-entry policy), verifies codes offline, writes every scan to its own
// SQLite journal before answering, serves the scanner page and the check-in
// API on the venue network, and syncs both ways whenever the central server
// answers.
package gatenode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/gate"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/ticket"
)

// Config is a node's configuration.
type Config struct {
	// Server is the central server's base URL.
	Server string
	// Token is a gate API key of the event's tenant; tablets on the venue
	// network send the same key to the node.
	Token string
	// EventID is the event this node serves.
	EventID string
	// DataDir holds the node's journal.
	DataDir string
	// Addr is where the node listens for tablets.
	Addr string
	// SyncInterval is the pause between sync rounds while online (default
	// 2 s); failures back off from it up to MaxBackoff (default 30 s).
	SyncInterval time.Duration
	MaxBackoff   time.Duration
	// BatchSize is how many scans one push carries (default 500).
	BatchSize int
	Logger    *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Node is a running gate node.
type Node struct {
	cfg    Config
	db     *db.DB
	log    *slog.Logger
	client *http.Client
	nodeID string

	mu       sync.RWMutex
	keys     ticket.KeySet
	gates    map[string]gate.Gate
	settings gate.Settings
	tickets  map[string]ticket.Holder
	// typeNames maps ticket type ids to names, for the result screen.
	typeNames map[string]string

	online   atomic.Bool
	lastSync atomic.Int64 // unix nanoseconds of the last good round
	kick     chan struct{}
}

// Open opens (and creates) the node's journal and loads the local copy.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Server == "" || cfg.Token == "" || cfg.EventID == "" || cfg.DataDir == "" {
		return nil, errors.New("gate node: server, token, event and data dir are required")
	}
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = 2 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.BatchSize <= 0 || cfg.BatchSize > gate.MaxBatch {
		cfg.BatchSize = 500
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Server = strings.TrimRight(cfg.Server, "/")
	if strings.Trim(cfg.EventID, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" || len(cfg.EventID) > 100 {
		return nil, fmt.Errorf("gate node: %q is not an event id", cfg.EventID)
	}
	// A folder per event: the journal never lands in a server's usher.db,
	// even when both are pointed at the same data folder (USHER_DATA_DIR).
	conn, err := db.Open(ctx, db.Config{DataDir: filepath.Join(cfg.DataDir, "gate-"+cfg.EventID), Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, db: conn, log: cfg.Logger, client: &http.Client{Timeout: 10 * time.Second},
		gates: map[string]gate.Gate{}, tickets: map[string]ticket.Holder{}, typeNames: map[string]string{}, settings: gate.DefaultSettings(cfg.EventID),
		kick: make(chan struct{}, 1)}
	if err := n.migrate(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	if err := n.load(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return n, nil
}

// Close closes the journal.
func (n *Node) Close() error { return n.db.Close() }

// NodeID is this node's stable id, kept in its journal.
func (n *Node) NodeID() string { return n.nodeID }

// Run serves tablets on cfg.Addr and syncs with the server until ctx ends.
// ready, when not nil, learns the bound address.
func (n *Node) Run(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", n.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", n.cfg.Addr, err)
	}
	srv := &http.Server{Handler: n.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(n.log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var wg sync.WaitGroup
	sctx, stop := context.WithCancel(ctx)
	wg.Add(1)
	go func() { defer wg.Done(); n.syncLoop(sctx) }()
	n.log.Info("gate node listening", "addr", ln.Addr().String(), "event", n.cfg.EventID, "node", n.nodeID)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
		err = nil
	}
	stop()
	wg.Wait()
	shctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, n.Close())
}

// schema is the node's own journal: small, and created in one transaction
// at start, so the node needs none of the server's migrations.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS node_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS node_keys (kid TEXT PRIMARY KEY, key_json TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS node_tickets (id TEXT PRIMARY KEY, holder_json TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS node_scans (
		seq        INTEGER PRIMARY KEY AUTOINCREMENT,
		scan_id    TEXT NOT NULL UNIQUE,
		gate_id    TEXT NOT NULL,
		device_id  TEXT NOT NULL,
		direction  TEXT NOT NULL,
		code       TEXT NOT NULL,
		ticket_id  TEXT NOT NULL,
		result     TEXT NOT NULL,
		message    TEXT NOT NULL,
		scanned_at TIMESTAMP NOT NULL,
		pushed     INTEGER NOT NULL DEFAULT 0
	)`,
	`CREATE INDEX IF NOT EXISTS node_scans_pending ON node_scans (pushed, seq)`,
	`CREATE TABLE IF NOT EXISTS node_presence (ticket_id TEXT PRIMARY KEY, inside INTEGER NOT NULL, scan_id TEXT NOT NULL)`,
	// What the server last said about admissions anywhere (this node's own
	// pushed scans included), so that an online node refuses a ticket that
	// came in at another place.
	`CREATE TABLE IF NOT EXISTS node_remote_presence (ticket_id TEXT PRIMARY KEY, inside INTEGER NOT NULL)`,
}

func (n *Node) migrate(ctx context.Context) error {
	return n.db.Write(ctx, func(tx *db.Tx) error {
		for _, q := range schema {
			if _, err := tx.Exec(q); err != nil {
				return err
			}
		}
		_, err := tx.Exec(`INSERT INTO node_meta (k, v) VALUES ('node_id', ?) ON CONFLICT DO NOTHING`, id.New("gnd"))
		return err
	})
}

// load reads the local copy into memory, so that a node restarted without
// a network still verifies and decides.
func (n *Node) load(ctx context.Context) error {
	var meta []struct {
		K string `db:"k"`
		V string `db:"v"`
	}
	var keys, tickets []string
	err := n.db.Read(ctx, func(tx *db.Tx) error {
		if err := tx.Select(&meta, `SELECT k, v FROM node_meta`); err != nil {
			return err
		}
		if err := tx.Select(&keys, `SELECT key_json FROM node_keys`); err != nil {
			return err
		}
		return tx.Select(&tickets, `SELECT holder_json FROM node_tickets`)
	})
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, m := range meta {
		switch m.K {
		case "node_id":
			n.nodeID = m.V
		case "gates":
			var gs []gate.Gate
			if json.Unmarshal([]byte(m.V), &gs) == nil {
				n.setGates(gs)
			}
		case "settings":
			json.Unmarshal([]byte(m.V), &n.settings)
		case "ticket_types":
			var ts []gate.TicketTypeRef
			if json.Unmarshal([]byte(m.V), &ts) == nil {
				n.setTypes(ts)
			}
		}
	}
	var ks []ticket.Key
	for _, k := range keys {
		var key ticket.Key
		if json.Unmarshal([]byte(k), &key) == nil {
			ks = append(ks, key)
		}
	}
	if set, err := gate.KeySetOf(n.cfg.EventID, ks); err == nil {
		n.keys = set
	}
	for _, t := range tickets {
		var h ticket.Holder
		if json.Unmarshal([]byte(t), &h) == nil {
			n.tickets[h.ID] = h
		}
	}
	return nil
}

// setGates replaces the gates; the caller holds n.mu.
func (n *Node) setGates(gs []gate.Gate) {
	n.gates = make(map[string]gate.Gate, len(gs))
	for _, g := range gs {
		n.gates[g.ID] = g
	}
}

// setTypes replaces the ticket type names; the caller holds n.mu.
func (n *Node) setTypes(ts []gate.TicketTypeRef) {
	n.typeNames = make(map[string]string, len(ts))
	for _, t := range ts {
		n.typeNames[t.ID] = t.Name
	}
}
