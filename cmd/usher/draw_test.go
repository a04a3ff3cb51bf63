package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/campaign"
)

func TestDrawVerify(t *testing.T) {
	t.Parallel()
	seed := bytes.Repeat([]byte{7}, 32)
	sum := sha256.Sum256(seed)
	seedHex, commitment := hex.EncodeToString(seed), hex.EncodeToString(sum[:])
	frozen := []string{"3", "5", "8", "13", "21", "34", "55", "89"}
	winners := campaign.Verify(seed, frozen, 3)

	list := filepath.Join(t.TempDir(), "frozen.txt")
	if err := os.WriteFile(list, []byte("# frozen list\n"+strings.Join(frozen, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(string) string { return "" }
	verify := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"draw", "verify"}, args...), env, &out, &errOut)
		return out.String(), err
	}

	out, err := verify("--seed", seedHex, "--list", list, "--count", "3", "--commitment", commitment, "--winners", strings.Join(winners, ","))
	if err != nil || !strings.HasSuffix(out, "OK\n") || !strings.Contains(out, strings.Join(winners, ", ")) {
		t.Fatalf("good draw: %v\n%s", err, out)
	}
	// Another seed does not match the commitment.
	other := strings.Repeat("ab", 32)
	if out, err = verify("--seed", other, "--list", list, "--count", "3", "--commitment", commitment); err == nil || !strings.HasSuffix(out, "FAIL\n") {
		t.Fatalf("wrong seed: %v\n%s", err, out)
	}
	if _, err = verify("--seed", "zz", "--list", list, "--count", "3"); err == nil {
		t.Fatal("a seed that is not hex was taken")
	}

	// --url fetches a published draw (from a loopback server here).
	published := campaign.Draw{ID: "drw_1", Campaign: "봄 축제", Count: 3, Commitment: commitment, Seed: seedHex, Frozen: frozen}
	for _, w := range winners {
		n, _ := strconv.Atoi(w)
		published.Winners = append(published.Winners, campaign.Entry{Number: n})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(published)
	}))
	defer srv.Close()
	if out, err = verify("--url", srv.URL+"/v1/public/draws/drw_1"); err != nil || !strings.HasSuffix(out, "OK\n") {
		t.Fatalf("--url: %v\n%s", err, out)
	}
	// Published winners that the seed does not give fail.
	published.Winners[0].Number = 999
	if out, err = verify("--url", srv.URL+"/v1/public/draws/drw_1"); err == nil || !strings.Contains(out, "published winners: FAIL") {
		t.Fatalf("tampered winners: %v\n%s", err, out)
	}
	// Plain http leaves the machine only over https.
	if _, err = verify("--url", "http://example.com/v1/public/draws/drw_1"); err == nil {
		t.Fatal("plain http to another host was accepted")
	}
}
