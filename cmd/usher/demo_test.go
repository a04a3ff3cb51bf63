package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDemo starts `usher demo` twice on one data folder: the first start
// makes the sample data and prints where to look, the second finds it.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	start := func() (string, string, func()) {
		t.Helper()
		env := map[string]string{"USHER_ADDR": "127.0.0.1:0", "USHER_DATA_DIR": dir}
		ctx, cancel := context.WithCancel(context.Background())
		addrc := make(chan string, 1)
		errc := make(chan error, 1)
		var stdout, stderr syncBuffer
		go func() {
			errc <- runWith(ctx, []string{"demo"}, func(k string) string { return env[k] }, &stdout, &stderr, func(a string) { addrc <- a })
		}()
		select {
		case addr := <-addrc:
			return "http://" + addr, stdout.String(), func() {
				cancel()
				if err := <-errc; err != nil {
					t.Errorf("demo returned %v", err)
				}
			}
		case err := <-errc:
			t.Fatalf("demo exited: %v\n%s", err, stderr.String())
		case <-time.After(60 * time.Second):
			t.Fatal("demo did not start")
		}
		return "", "", nil
	}

	base, out, stop := start()
	for _, want := range []string{demoEmail, demoPassword, "/e/evt_", "/c/", "wallet code wac_"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output misses %q:\n%s", want, out)
		}
	}
	i := strings.Index(out, "/e/evt_")
	event := strings.Fields(out[i:])[0]
	for _, path := range []string{event, strings.Replace(event, "/e/", "/v1/public/events/", 1) + "/seats", event + "/register"} {
		res, err := http.Get(base + path)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, res, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.HasSuffix(path, "/register") && !strings.Contains(string(body), `name="seat"`) {
			t.Errorf("the demo's registration page offers no seats")
		}
	}
	if !strings.Contains(out, event+"/register") {
		t.Errorf("the demo does not print where to pick seats:\n%s", out)
	}
	stop()

	_, out, stop = start()
	if !strings.Contains(out, "earlier start") {
		t.Errorf("second start did not find the sample data:\n%s", out)
	}
	stop()
}
