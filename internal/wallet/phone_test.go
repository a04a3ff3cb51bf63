package wallet_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/wallet"
)

func TestCustomerInputNormalizesPhone(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"010-1234-5678", "+821012345678", true},
		{"01012345678", "+821012345678", true},
		{"+82 10 1234 5678", "+821012345678", true},
		{"", "", true},
		{"12345", "", false},
		{"call me", "", false},
	} {
		in := wallet.CustomerInput{Email: "kim@example.com", Name: "Kim", Phone: tc.in}
		err := in.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("phone %q: err = %v, want ok %v", tc.in, err, tc.ok)
			continue
		}
		if !tc.ok {
			var fe *fault.Error
			if !errors.As(err, &fe) || fe.Code != fault.Validation || fe.Fields[0].Field != "phone" {
				t.Errorf("phone %q: err = %v, want validation_failed on phone", tc.in, err)
			}
			continue
		}
		if in.Phone != tc.want {
			t.Errorf("phone %q normalized to %q, want %q", tc.in, in.Phone, tc.want)
		}
	}
}

// The stored customer carries the E.164 form.
func TestCreateCustomerStoresE164(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		now := func() time.Time { return time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC) }
		tenantID := id.New(id.Tenant)
		if err := conn.Write(context.Background(), func(tx *db.Tx) error {
			_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, 'T', 'basic', ?)`, tenantID, now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		ctx := db.WithTenant(context.Background(), tenantID)
		s := wallet.NewService(conn, now)
		c, err := s.CreateCustomer(ctx, wallet.CustomerInput{Email: "kim@example.com", Name: "Kim", Phone: "010 1234 5678"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.GetCustomer(ctx, c.ID)
		if err != nil || got.Phone != "+821012345678" {
			t.Fatalf("stored phone = %q, %v; want +821012345678", got.Phone, err)
		}
	})
}
