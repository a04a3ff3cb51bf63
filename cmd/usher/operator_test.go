package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveOn starts usher serve on dir and returns its base URL and a stop
// function that waits for it to end.
func serveOn(t *testing.T, dir string) (string, func()) {
	t.Helper()
	env := map[string]string{"USHER_ADDR": "127.0.0.1:0", "USHER_DATA_DIR": dir}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	var stderr syncBuffer
	go func() {
		errc <- runWith(ctx, []string{"--log-level", "warn", "serve"}, func(k string) string { return env[k] }, &syncBuffer{}, &stderr, func(a string) { addrc <- a })
	}()
	select {
	case addr := <-addrc:
		stopped := false
		stop := func() {
			if stopped {
				return
			}
			stopped = true
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("serve returned %v", err)
			}
		}
		t.Cleanup(stop)
		return "http://" + addr, stop
	case err := <-errc:
		cancel()
		t.Fatalf("serve exited: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("server did not start")
	}
	return "", nil
}

// command runs a command and returns what it printed.
func command(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr syncBuffer
	err := runWith(context.Background(), append([]string{"--log-level", "error"}, args...), func(string) string { return "" }, &stdout, &stderr, nil)
	return stdout.String() + stderr.String(), err
}

func postJSON(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// TestOperatorCommands runs the platform operator's commands beside a
// running server (tenants, usage, backup), then restores the backup into
// another folder and serves it.
func TestOperatorCommands(t *testing.T) {
	dir := t.TempDir()
	base, stop := serveOn(t, dir)
	const signup = `{"organization":"Ops Org","email":"ops@example.com","password":"operator pass 1"}`
	st, out := postJSON(t, base+"/v1/signup", signup)
	if st != 201 {
		t.Fatalf("signup: %d %v", st, out)
	}
	tenantID := out["tenant"].(map[string]any)["id"].(string)

	// A second server on the same folder is refused.
	env := map[string]string{"USHER_ADDR": "127.0.0.1:0", "USHER_DATA_DIR": dir}
	err := runWith(context.Background(), []string{"--log-level", "error", "serve"}, func(k string) string { return env[k] }, &syncBuffer{}, &syncBuffer{}, nil)
	if err == nil || !strings.Contains(err.Error(), "holds this data directory") {
		t.Fatalf("a second server on the folder: %v", err)
	}

	got, err := command(t, "tenants", "list", "--data-dir", dir)
	if err != nil || !strings.Contains(got, tenantID) || !strings.Contains(got, "Ops Org") || !strings.Contains(got, "basic") {
		t.Fatalf("tenants list: %v\n%s", err, got)
	}
	if got, err := command(t, "tenants", "set-tier", "--data-dir", dir, tenantID, "professional"); err != nil || !strings.Contains(got, "professional") {
		t.Fatalf("set-tier: %v\n%s", err, got)
	}
	if _, err := command(t, "tenants", "set-tier", "--data-dir", dir, "ten_nobody", "professional"); err == nil {
		t.Error("set-tier of an unknown organization succeeded")
	}
	if _, err := command(t, "tenants", "set-tier", "--data-dir", dir, tenantID, "platinum"); err == nil {
		t.Error("set-tier to an unknown tier succeeded")
	}
	got, err = command(t, "usage", "--data-dir", dir)
	if err != nil || !strings.Contains(got, tenantID) || !strings.Contains(got, "professional") || !strings.Contains(got, "99000") {
		t.Fatalf("usage: %v\n%s", err, got)
	}
	if got, err := command(t, "usage", "--data-dir", dir, "--tenant", tenantID, "--period", "2026-13"); err == nil {
		t.Errorf("usage for a bad month: %s", got)
	}

	backup := filepath.Join(t.TempDir(), "usher-backup.db")
	if got, err := command(t, "backup", "--data-dir", dir, backup); err != nil || !strings.Contains(got, "backed up") {
		t.Fatalf("backup: %v\n%s", err, got)
	}
	if _, err := command(t, "backup", "--data-dir", dir, backup); err == nil {
		t.Error("a backup over an existing file succeeded")
	}
	if got, err := command(t, "restore", "--data-dir", dir, backup); err == nil || !strings.Contains(err.Error(), "holds this data directory") {
		t.Fatalf("restore under a running server: %v\n%s", err, got)
	}
	stop()

	// Restored into a new folder, the organization is there.
	restored := t.TempDir()
	if got, err := command(t, "restore", "--data-dir", restored, backup); err != nil || !strings.Contains(got, "restored") {
		t.Fatalf("restore: %v\n%s", err, got)
	}
	got, err = command(t, "restore", "--data-dir", restored, backup)
	if err != nil || !strings.Contains(got, "before-restore-") {
		t.Fatalf("restore over a database: %v\n%s", err, got)
	}
	notUsher := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notUsher, []byte("not a database"), 0o600)
	if _, err := command(t, "restore", "--data-dir", restored, notUsher); err == nil {
		t.Error("a file that is no database was restored")
	}
	base, _ = serveOn(t, restored)
	if st, out := postJSON(t, base+"/v1/auth/login", `{"email":"ops@example.com","password":"operator pass 1"}`); st != 200 {
		t.Fatalf("login on the restored server: %d %v", st, out)
	}
	if st, _ := postJSON(t, base+"/v1/signup", signup); st != 409 {
		t.Errorf("signup again on the restored server: %d, want 409 email_taken", st)
	}
}

// TestOperatorCommandsNeedADatabase runs the operator's commands on a
// folder without a database (a mistyped --data-dir): each refuses, naming
// the folder, and leaves no new database behind.
func TestOperatorCommandsNeedADatabase(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "usher-dtaa")
	out := filepath.Join(t.TempDir(), "backup.db")
	for _, args := range [][]string{
		{"backup", "--data-dir", missing, out},
		{"tenants", "list", "--data-dir", missing},
		{"tenants", "set-tier", "--data-dir", missing, "ten_x", "professional"},
		{"usage", "--data-dir", missing},
	} {
		got, err := command(t, args...)
		if err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("%v: %v\n%s", args[:2], err, got)
		}
	}
	if _, err := os.Stat(filepath.Join(missing, "usher.db")); !os.IsNotExist(err) {
		t.Errorf("a database was created in the mistyped folder: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a backup of nothing was written: %v", err)
	}
}
