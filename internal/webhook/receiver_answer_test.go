package webhook

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// Whatever a receiver answers with, the attempt is recorded: an answer
// with NUL characters (binary, or text that carries them), which the
// database takes no text with, is kept with them replaced.
func TestAnswersWithNULAreRecorded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		binary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "ok\x00\x01\x00done")
		}))
		t.Cleanup(binary.Close)
		e := r.create(Input{URL: ptr(binary.URL)})
		r.emit("order.paid", "ord_1", map[string]any{"order_id": "ord_1"})
		r.settle()
		ds := r.deliveries(e.ID)
		if len(ds) != 1 || ds[0].Status != StatusSucceeded || ds[0].Attempts != 1 {
			t.Fatalf("a delivery answered 200 with NULs: %+v", ds)
		}
		one, err := r.svc.Delivery(r.ctx, e.ID, ds[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(one.AttemptLog) != 1 || strings.Contains(one.AttemptLog[0].ResponseBody, "\x00") ||
			!strings.HasPrefix(one.AttemptLog[0].ResponseBody, "ok") || !strings.HasSuffix(one.AttemptLog[0].ResponseBody, "done") {
			t.Errorf("attempt log: %+v", one.AttemptLog)
		}
	})
}
