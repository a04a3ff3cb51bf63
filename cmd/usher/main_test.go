package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// syncBuffer is a bytes.Buffer safe to write from the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServe boots the real command on :0 with a temporary data folder (and
// on PostgreSQL when configured), signs up over HTTP and shuts down cleanly.
func TestServe(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		dc := dbtest.Config(t, d)
		env := map[string]string{"USHER_ADDR": "127.0.0.1:0", "USHER_DATA_DIR": dc.DataDir, "USHER_DATABASE_URL": dc.URL}
		if d == db.Postgres && dbtest.RedisURL() != "" {
			env["USHER_REDIS_URL"] = dbtest.RedisURL()
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		addrc := make(chan string, 1)
		errc := make(chan error, 1)
		var stdout, stderr syncBuffer
		go func() {
			errc <- runWith(ctx, []string{"serve"}, func(k string) string { return env[k] }, &stdout, &stderr, func(a string) { addrc <- a })
		}()
		var addr string
		select {
		case addr = <-addrc:
		case err := <-errc:
			t.Fatalf("serve exited: %v\n%s", err, stderr.String())
		case <-time.After(60 * time.Second):
			t.Fatal("server did not start")
		}
		base := "http://" + addr
		res, err := http.Get(base + "/healthz")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("healthz: %v %v", res, err)
		}
		res, err = http.Get(base + "/readyz")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("readyz: %v %v", res, err)
		}
		body := `{"organization":"Boot","email":"boot@example.com","password":"boot strap pw"}`
		res, err = http.Post(base+"/v1/signup", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if res.StatusCode != 201 || out["access_token"] == nil {
			t.Fatalf("signup: %d %v", res.StatusCode, out)
		}
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Fatalf("serve returned %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("server did not shut down")
		}
		if strings.Contains(stderr.String(), "boot@example.com") {
			t.Fatal("the log contains an email address")
		}
	})
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"serve", "--addr", "nonsense"}, nil, "--addr"},
		{[]string{"serve", "--database-url", "mysql://x"}, nil, "--database-url"},
		{[]string{"serve", "--public-url", "tickets.example.com"}, nil, "--public-url"},
		{[]string{"serve"}, map[string]string{"USHER_REDIS_URL": "http://x"}, "--redis-url"},
		{[]string{"serve", "--sms-url", "sms.example.com"}, nil, "--sms-url"},
		{[]string{"serve"}, map[string]string{"USHER_SMS_API_KEY": "k"}, "--sms-api-key needs --sms-url"},
		{[]string{"migrate", "--database-url", "::"}, nil, "--database-url"},
		{[]string{"frobnicate"}, nil, "unexpected argument"},
		{[]string{"--gc-percent", "10", "version"}, nil, "--gc-percent"},
		{[]string{"serve", "--data-dir", os.TempDir(), "--secrets-key-file", "/nonexistent/usher.key"}, nil, "secrets key"},
		{[]string{"serve", "--data-dir", os.TempDir()}, map[string]string{"USHER_SECRETS_KEY_FILE": "main_test.go"}, "want 32 random bytes in base64"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), tt.args, func(k string) string { return tt.env[k] }, &out, &errb)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
}

// --gc-percent sets the collector's target unless GOGC is set, which wins.
func TestGCPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--gc-percent", "800", "version"}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetGCPercent(100); got != 800 {
		t.Fatalf("GC percent after --gc-percent 800: %d", got)
	}
	env := map[string]string{"GOGC": "200"}
	if err := run(context.Background(), []string{"--gc-percent", "800", "version"}, func(k string) string { return env[k] }, &out, &out); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GC percent with GOGC set: %d, want it left alone", got)
	}
}

func TestVersionAndMigrate(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, func(string) string { return "" }, &out, &out); err != nil || !strings.Contains(out.String(), "usher") {
		t.Fatalf("version: %v %q", err, out.String())
	}
	out.Reset()
	dir := t.TempDir()
	if err := run(context.Background(), []string{"migrate", "--data-dir", dir}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "up to date") {
		t.Fatalf("migrate said %q", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"--help"}, func(string) string { return "" }, &out, &out); err != nil || !strings.Contains(out.String(), "serve") {
		t.Fatalf("help: %v %q", err, out.String())
	}
}
