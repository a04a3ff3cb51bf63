package order_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/order"
)

// A buyer's phone is stored in E.164 whichever way it was written; an empty
// one stays empty, and an invalid one is a 422 naming buyer.phone.
func TestBuyerPhoneIsNormalized(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 50, 1000)
		create := func(ph string) (*order.Order, error) {
			return f.orders.Create(f.ctx, f.event.ID, order.CreateInput{
				Buyer: order.Buyer{Name: "Kim", Email: "kim@example.com", Phone: ph},
				Items: []order.ItemInput{{TicketTypeID: f.general.ID, Quantity: 1}},
			})
		}
		for _, tc := range []struct{ in, want string }{
			{"010-1234-5678", "+821012345678"},
			{"01012345678", "+821012345678"},
			{"+82 10 1234 5678", "+821012345678"},
			{"", ""},
			{"   ", ""},
		} {
			o, err := create(tc.in)
			if err != nil {
				t.Fatalf("phone %q: %v", tc.in, err)
			}
			if o.Buyer.Phone != tc.want {
				t.Errorf("phone %q stored as %q, want %q", tc.in, o.Buyer.Phone, tc.want)
			}
			got, err := f.orders.Get(f.ctx, o.ID)
			if err != nil || got.Buyer.Phone != tc.want {
				t.Errorf("phone %q read back as %q, %v; want %q", tc.in, got.Buyer.Phone, err, tc.want)
			}
		}
		for _, bad := range []string{"12", "010-1234-567a", "전화"} {
			_, err := create(bad)
			var fe *fault.Error
			if !errors.As(err, &fe) || fe.Code != fault.Validation || len(fe.Fields) != 1 || fe.Fields[0].Field != "buyer.phone" {
				t.Errorf("phone %q: err = %v, want validation_failed on buyer.phone", bad, err)
			}
		}
	})
}

// An import row with a phone that is not one is refused with the row and
// column named, and nothing is created.
func TestImportRefusesBadPhone(t *testing.T) {
	f := setup(t, db.SQLite, 10, 1000)
	csv := "name,email,phone,ticket_type\nKim,kim@example.com,12,General\n"
	_, err := f.orders.ImportAttendees(f.ctx, f.event.ID, strings.NewReader(csv))
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Code != fault.Validation || len(fe.Fields) != 1 || fe.Fields[0].Field != "rows[2].phone" {
		t.Fatalf("err = %v (%+v), want validation_failed on rows[2].phone", err, fe)
	}
}
