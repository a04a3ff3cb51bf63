// Package bench puts measured load on an Usher server, in-process or at a
// loopback URL, for the `usher bench …` rehearsals: a client tuned for many
// concurrent requests, a latency recorder, and the scenarios.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/usher-events/usher/internal/app"
)

// Client talks JSON to one server over keep-alive connections.
type Client struct {
	Base  string
	Token string
	http  *http.Client
}

// NewClient returns a client for base with room for conns connections.
func NewClient(base string, conns int) *Client {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute}
	return &Client{Base: base, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// Do sends a request with a JSON body (nil for none, a []byte that is JSON
// already, or a value to encode) and decodes the JSON answer into out (nil
// to discard). It returns the status.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) (int, error) {
	status, raw, err := c.send(ctx, method, path, body)
	if err != nil {
		return status, err
	}
	if out != nil && status < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return status, fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return status, nil
}

// send sends a request (a body as for Do) and returns the answer's status
// and body.
func (c *Client) send(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte: // already JSON: the hot loops encode their own
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, raw, err
}

// must is Do that wants a status below 300; a refusal's error says what
// the server said (its problem's code and detail).
func (c *Client) must(ctx context.Context, method, path string, body, out any) error {
	st, raw, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	if st >= 300 {
		var p struct {
			Code   string `json:"code"`
			Detail string `json:"detail"`
		}
		if json.Unmarshal(raw, &p) == nil && p.Code != "" {
			return fmt.Errorf("%s %s: status %d %s: %s", method, path, st, p.Code, p.Detail)
		}
		return fmt.Errorf("%s %s: status %d", method, path, st)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

// checkTarget asks a --target node for GET /healthz, briefly, so that a
// mistyped or stopped node is said plainly before the rehearsal begins
// (rather than as a share of buyers' requests failing, or a long wait).
func checkTarget(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, targetTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("--target %s: %w", base, err)
	}
	res, err := (&http.Client{}).Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("--target %s does not answer (%v): is usher serve running there?", base, err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("--target %s answers GET /healthz with %s: is it an Usher server?", base, res.Status)
	}
	return nil
}

// targetTimeout bounds checkTarget's wait for a node's answer.
const targetTimeout = 5 * time.Second

// Latencies records request durations from many goroutines.
type Latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

// Add records one duration.
func (l *Latencies) Add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// Percentile returns the p-th percentile (0–100) of what was recorded.
func (l *Latencies) Percentile(p float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	slices.Sort(l.d)
	i := int(float64(len(l.d)-1) * p / 100)
	return l.d[i]
}

// SplitTargets reads --target: one URL or several separated by commas,
// each a loopback address (see CheckLoopback). Empty is none.
func SplitTargets(target string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(target, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if err := CheckLoopback(t); err != nil {
			return nil, err
		}
		out = append(out, strings.TrimSuffix(t, "/"))
	}
	return out, nil
}

// CheckLoopback refuses targets that are not on this machine: a bench is a
// heavy load and must not be pointed at someone else's server by mistake.
func CheckLoopback(target string) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("--target must be an http:// URL, got %q", target)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--target must be a loopback address (127.0.0.1, ::1, localhost), got %q", host)
	}
	return nil
}

// StartInProcess serves a fresh server on a temporary SQLite data folder at
// 127.0.0.1:0 and returns its URL and a stop function that also removes the
// folder.
func StartInProcess(ctx context.Context, log *slog.Logger) (string, func(), error) {
	return startWith(ctx, app.Config{}, log, nil)
}

// startWith is StartInProcess with settings of the rehearsal's own; the
// address and data folder are always its own. mount, when not nil, adds to
// the server before it serves.
func startWith(ctx context.Context, cfg app.Config, log *slog.Logger, mount func(*app.App) error) (string, func(), error) {
	dir, err := os.MkdirTemp("", "usher-bench-")
	if err != nil {
		return "", nil, err
	}
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", dir
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	if mount != nil {
		if err := mount(a); err != nil {
			a.Close(ctx)
			os.RemoveAll(dir)
			return "", nil, err
		}
	}
	sctx, cancel := context.WithCancel(ctx)
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Serve(sctx, func(s string) { addr <- s }) }()
	select {
	case s := <-addr:
		return "http://" + s, func() { cancel(); <-done; os.RemoveAll(dir) }, nil
	case err := <-done:
		cancel()
		os.RemoveAll(dir)
		return "", nil, err
	}
}
