package bench

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestFlashSaleRefusesBadSettings: a negative stock, buyer count or
// concurrency is an error, not a silent default; a --target node that does
// not answer, or answers GET /healthz with anything but 200 (not an Usher
// server), is named in the error before any sale runs, also when it is the
// second of several nodes.
func TestFlashSaleRefusesBadSettings(t *testing.T) {
	ctx := context.Background()
	short := time.Second
	for _, cfg := range []FlashSaleConfig{
		{Seats: -1, Duration: short, Compare: short},
		{Quota: -5, Duration: short, Compare: short},
		{Buyers: -3, Duration: short, Compare: short},
	} {
		res, err := FlashSale(ctx, cfg)
		if err == nil || !strings.Contains(err.Error(), "negative") {
			t.Errorf("%+v: %v (result %+v), want an error about the negative setting", cfg, err, res)
		}
	}

	server, stop, err := StartInProcess(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// A port nothing listens on any more.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()

	for _, tc := range []struct{ target, named, says string }{
		{server + "," + closed, closed, "does not answer"},
		{closed, closed, "does not answer"},
		{server + "," + other.URL, other.URL, "404"},
	} {
		res, err := FlashSale(ctx, FlashSaleConfig{Target: tc.target, Quota: 10, Concurrency: 2, Duration: short, Compare: short})
		if err == nil || !strings.Contains(err.Error(), tc.named) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("--target %s: %v (result %+v), want an error naming %s", tc.target, err, res, tc.named)
		}
	}
}
