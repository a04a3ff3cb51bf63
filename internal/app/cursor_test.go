package app_test

import (
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestMadeUpCursor: a cursor the API never returned is a 422 on both
// databases, also one that happens to be base64 of bytes that are not text
// ("garbage"), which SQLite took as a cursor (200) and PostgreSQL refused
// as a 400.
func TestMadeUpCursor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		own := b.signup("Cursor Org", "owner@cursor.example")
		for _, path := range []string{"/v1/admin/dead-jobs", "/v1/events", "/v1/audit-log"} {
			for _, c := range []string{"garbage", "AA", "!!"} {
				b.want(b.do("GET", path+"?cursor="+c, own.Access, nil), 422, "validation_failed")
			}
		}
		first := b.do("GET", "/v1/events?limit=1", own.Access, nil)
		b.want(first, 200, "")
	})
}
