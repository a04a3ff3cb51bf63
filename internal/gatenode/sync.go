package gatenode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/gate"
	"github.com/usher-events/usher/internal/ticket"
)

// sinceMargin re-reads changes this far back on each pull: a ticket is
// stamped before its transaction commits, so it may appear slightly late.
const sinceMargin = 5 * time.Minute

// poke asks the sync loop to push soon (after a scan).
func (n *Node) poke() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// syncLoop pushes and pulls until ctx ends, backing off while the server
// does not answer.
func (n *Node) syncLoop(ctx context.Context) {
	wait := n.cfg.SyncInterval
	for {
		err := n.SyncOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if n.online.Swap(false) {
				n.log.Warn("gate node offline", "err", err)
			}
			wait = min(wait*2, n.cfg.MaxBackoff)
		} else {
			if !n.online.Swap(true) {
				n.log.Info("gate node online")
			}
			n.lastSync.Store(n.cfg.Now().UnixNano())
			wait = n.cfg.SyncInterval
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-n.kick:
			t.Stop()
			if err != nil {
				// While offline a scan must not turn backoff into a retry
				// storm; only a timer retries.
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		}
	}
}

// SyncOnce pushes every pending scan, then pulls keys and changes.
func (n *Node) SyncOnce(ctx context.Context) error {
	if err := n.push(ctx); err != nil {
		return err
	}
	return n.pull(ctx)
}

// Journal states of a scan (node_scans.pushed).
const (
	scanPending = 0
	scanPushed  = 1
	// scanRefused is a scan the server refuses as a batch of its own (a
	// code too large to send, say): kept in the journal, no longer sent,
	// so that the scans after it still reach the server.
	scanRefused = 2
)

// push sends the pending scans in batches of up to BatchSize. A batch the
// server refuses whole (413 too large, 422 malformed: no retry changes
// that) is sent again in halves, down to one scan, which is then marked
// refused; the batches after it go on.
func (n *Node) push(ctx context.Context) error {
	size := n.cfg.BatchSize
	for {
		var rows []scanRow
		err := n.db.Read(ctx, func(tx *db.Tx) error {
			return tx.Select(&rows, `SELECT scan_id, gate_id, device_id, direction, code, ticket_id, result, message, scanned_at
				FROM node_scans WHERE pushed = ? ORDER BY seq LIMIT ?`, scanPending, size)
		})
		if err != nil || len(rows) == 0 {
			return err
		}
		scans := make([]gate.OfflineScan, len(rows))
		for i, r := range rows {
			scans[i] = gate.OfflineScan{ScanID: r.ScanID, Code: r.Code, GateID: r.GateID, Direction: r.Direction, DeviceID: r.DeviceID,
				ScannedAt: r.ScannedAt.UTC(), Result: r.Result, Message: r.Message}
		}
		var out struct {
			Results []gate.BatchResult `json:"results"`
		}
		body := map[string]any{"source": "node:" + n.nodeID, "scans": scans}
		err = n.call(ctx, "POST", "/v1/events/"+url.PathEscape(n.cfg.EventID)+"/checkins/batch", body, &out)
		var refused *statusError
		if errors.As(err, &refused) && (refused.status == http.StatusRequestEntityTooLarge || refused.status == http.StatusUnprocessableEntity) {
			if size > 1 {
				size = max(1, min(size, len(rows))/2)
				continue
			}
			n.log.Warn("gate node: the server refuses a scan; kept in the journal, not sent again", "scan_id", rows[0].ScanID, "err", err)
			if err := n.mark(ctx, scanRefused, rows[0].ScanID); err != nil {
				return err
			}
			size = n.cfg.BatchSize
			continue
		}
		if err != nil {
			return err
		}
		done := make([]any, 0, len(out.Results))
		for _, r := range out.Results {
			// Recorded, duplicate (an earlier push got through but its
			// answer was lost) and rejected are all final.
			done = append(done, r.ScanID)
		}
		if len(done) == 0 {
			return fmt.Errorf("push: the server answered without results")
		}
		if err := n.mark(ctx, scanPushed, done...); err != nil {
			return err
		}
		size = min(n.cfg.BatchSize, 2*size)
	}
}

// mark sets the journal state of scans.
func (n *Node) mark(ctx context.Context, state int, scanIDs ...any) error {
	return n.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`UPDATE node_scans SET pushed = ? WHERE scan_id IN (`+db.Placeholders(len(scanIDs))+`)`, append([]any{state}, scanIDs...)...)
		return err
	})
}

func (n *Node) pull(ctx context.Context) error {
	var keys struct {
		Keys []ticket.Key `json:"keys"`
	}
	ev := url.PathEscape(n.cfg.EventID)
	if err := n.call(ctx, "GET", "/v1/events/"+ev+"/ticket-keys", nil, &keys); err != nil {
		return err
	}
	ks, err := gate.KeySetOf(n.cfg.EventID, keys.Keys)
	if err != nil {
		return err
	}
	var since time.Time
	n.db.Read(ctx, func(tx *db.Tx) error {
		var s string
		if tx.Get(&s, `SELECT v FROM node_meta WHERE k = 'since'`) == nil {
			since, _ = time.Parse(time.RFC3339Nano, s)
		}
		return nil
	})
	cursor := ""
	var last *gate.SyncPage
	for {
		q := url.Values{"limit": {"2000"}}
		if !since.IsZero() {
			q.Set("since", since.Format(time.RFC3339Nano))
		}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page gate.SyncPage
		if err := n.call(ctx, "GET", "/v1/events/"+ev+"/gate-sync?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		if err := n.store(ctx, keys.Keys, &page); err != nil {
			return err
		}
		n.mu.Lock()
		n.keys = ks
		n.setGates(page.Gates)
		n.settings = page.Settings
		if page.TicketTypes != nil {
			// A server that predates ticket_types sends none: keep the names.
			n.setTypes(page.TicketTypes)
		}
		for _, h := range page.Tickets {
			n.tickets[h.ID] = h
		}
		n.mu.Unlock()
		last = &page
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	next := last.ServerTime.Add(-sinceMargin).Format(time.RFC3339Nano)
	return n.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO node_meta (k, v) VALUES ('since', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`, next)
		return err
	})
}

// store keeps a pulled page in the journal, so that a restart offline has it.
func (n *Node) store(ctx context.Context, keys []ticket.Key, p *gate.SyncPage) error {
	gates, _ := json.Marshal(p.Gates)
	settings, _ := json.Marshal(p.Settings)
	meta := map[string]string{"gates": string(gates), "settings": string(settings)}
	if p.TicketTypes != nil {
		types, _ := json.Marshal(p.TicketTypes)
		meta["ticket_types"] = string(types)
	}
	return n.db.Write(ctx, func(tx *db.Tx) error {
		for _, k := range keys {
			b, _ := json.Marshal(k)
			if _, err := tx.Exec(`INSERT INTO node_keys (kid, key_json) VALUES (?, ?) ON CONFLICT (kid) DO UPDATE SET key_json = excluded.key_json`, k.KID, string(b)); err != nil {
				return err
			}
		}
		if len(keys) > 0 {
			kids := make([]any, len(keys))
			for i, k := range keys {
				kids[i] = k.KID
			}
			// A key removed on the server stops verifying here too.
			if _, err := tx.Exec(`DELETE FROM node_keys WHERE kid NOT IN (`+db.Placeholders(len(kids))+`)`, kids...); err != nil {
				return err
			}
		}
		for _, h := range p.Tickets {
			b, _ := json.Marshal(h)
			if _, err := tx.Exec(`INSERT INTO node_tickets (id, holder_json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET holder_json = excluded.holder_json`, h.ID, string(b)); err != nil {
				return err
			}
		}
		for _, pr := range p.Presence {
			if _, err := tx.Exec(`INSERT INTO node_remote_presence (ticket_id, inside) VALUES (?, ?) ON CONFLICT (ticket_id) DO UPDATE SET inside = excluded.inside`,
				pr.TicketID, pr.Inside); err != nil {
				return err
			}
		}
		for k, v := range meta {
			if _, err := tx.Exec(`INSERT INTO node_meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`, k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// call sends one request to the server with the node's key and decodes a
// 2xx JSON answer into out.
func (n *Node) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		// Without HTML escaping a code full of < > & is sent as it is,
		// not six bytes for each.
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(body); err != nil {
			return err
		}
		rd = &b
	}
	req, err := http.NewRequestWithContext(ctx, method, n.cfg.Server+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+n.cfg.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := n.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return &statusError{status: res.StatusCode, msg: fmt.Sprintf("%s %s: %d %s", method, path, res.StatusCode, bytes.TrimSpace(raw[:min(len(raw), 300)]))}
	}
	return json.Unmarshal(raw, out)
}

// statusError is a server's answer other than 2xx.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }
