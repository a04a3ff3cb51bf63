package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// smsCall is one request the fake SMS gateway received.
type smsCall struct {
	key  string
	body struct {
		To           string            `json:"to"`
		TemplateCode string            `json:"template_code"`
		Vars         map[string]string `json:"vars"`
	}
}

// TestServeSendsSMS: with --sms-url and --sms-api-key (here as USHER_*
// variables) a participation's confirmation goes to the gateway, with the
// participant's phone in E.164 and the key in its header.
func TestServeSendsSMS(t *testing.T) {
	calls := make(chan smsCall, 4)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c smsCall
		c.key = r.Header.Get("X-API-Key")
		if err := json.NewDecoder(r.Body).Decode(&c.body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		calls <- c
		w.WriteHeader(http.StatusAccepted)
	}))
	defer gw.Close()

	env := map[string]string{"USHER_ADDR": "127.0.0.1:0", "USHER_DATA_DIR": t.TempDir(),
		"USHER_SMS_URL": gw.URL + "/send", "USHER_SMS_API_KEY": "gateway-secret"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	var stdout, stderr syncBuffer
	go func() {
		errc <- runWith(ctx, []string{"serve"}, func(k string) string { return env[k] }, &stdout, &stderr, func(a string) { addrc <- a })
	}()
	var base string
	select {
	case a := <-addrc:
		base = "http://" + a
	case err := <-errc:
		t.Fatalf("serve exited: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start")
	}

	post := func(path, token string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		var out map[string]any
		json.Unmarshal(raw, &out)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", path, res.StatusCode, raw)
		}
		return out
	}
	tok := post("/v1/signup", "", map[string]any{"organization": "SMS Org", "email": "sms@example.com", "password": "correct horse battery"})["access_token"].(string)
	// The campaign's window is around the real clock, which the server uses.
	now := time.Now().UTC()
	c := post("/v1/campaigns", tok, map[string]any{"name": "Spring", "approval": "auto",
		"starts_at": now.Add(-time.Hour).Format(time.RFC3339), "ends_at": now.Add(48 * time.Hour).Format(time.RFC3339),
		"game": map[string]any{"type": "quiz", "pass_mark": 1, "gift": "Coffee",
			"questions": []any{map[string]any{"question": "2+2?", "choices": []string{"3", "4"}, "answer": "4"}}}})
	post("/v1/public/campaigns/"+c["id"].(string)+"/participations", "", map[string]any{"name": "김철수", "phone": "010-1234-5678", "consent": true})

	select {
	case got := <-calls:
		if got.key != "gateway-secret" || got.body.To != "+821012345678" || got.body.TemplateCode != "participation_confirmation" {
			t.Fatalf("gateway got key %q, %+v", got.key, got.body)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no SMS reached the gateway\n%s", stderr.String())
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
	if strings.Contains(stderr.String(), "+821012345678") || strings.Contains(stderr.String(), "010-1234-5678") {
		t.Fatal("the log contains a phone number")
	}
}
