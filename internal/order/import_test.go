package order_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/order"
)

func TestImportAttendees(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 10, 99000)
		if _, err := f.events.SetForm(f.ctx, f.event.ID, event.Form{Fields: []event.Field{
			{Key: "organization", Required: true}, {Key: "interests", Type: event.FieldMultiChoice, Options: []string{"AI", "Web"}},
		}, Consents: []event.Consent{{Key: "privacy", Text: "We keep your data.", Version: "1", Required: true}}}); err != nil {
			t.Fatal(err)
		}
		csv := "\ufeffname,email,phone,ticket_type,organization,interests\n" +
			"홍길동,Hong@Example.com,010-1234-5678,general,Usher,AI; Web\n" +
			"\n" + // blank lines are skipped
			"Kim Jisoo,kim@example.com,,General,\"Acme, Inc.\",\n" +
			"Lee,lee@example.com,,General,Beta,Web\n"
		res, err := f.orders.ImportAttendees(f.ctx, f.event.ID, strings.NewReader(csv))
		if err != nil {
			t.Fatal(err)
		}
		if res.Orders != 3 || res.Tickets != 3 {
			t.Fatalf("result = %+v", res)
		}
		list, err := f.orders.List(f.ctx, f.event.ID, order.Filter{Status: order.StatusPaid}, api.PageParams{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Body.Data) != 3 {
			t.Fatalf("%d paid orders", len(list.Body.Data))
		}
		for _, o := range list.Body.Data {
			if o.PaymentMethod == nil || *o.PaymentMethod != order.MethodImport || len(o.Tickets) != 1 || o.Total != 99000 {
				t.Errorf("order %+v", o)
			}
			if len(o.Consents) != 0 {
				t.Errorf("an import recorded consents: %+v", o.Consents)
			}
		}
		var hong *order.Order
		for i := range list.Body.Data {
			if list.Body.Data[i].Buyer.Email == "hong@example.com" {
				hong = &list.Body.Data[i]
			}
		}
		if hong == nil || hong.Answers["organization"] != "Usher" || len(hong.Answers["interests"].([]any)) != 2 {
			t.Fatalf("hong = %+v", hong)
		}
		if hong.Buyer.Phone != "+821012345678" {
			t.Errorf("imported phone = %q, want E.164", hong.Buyer.Phone)
		}
		types, err := f.events.ListTicketTypes(f.ctx, f.event.ID)
		if err != nil {
			t.Fatal(err)
		}
		if types[0].Sold != 3 || types[0].Available != 7 {
			t.Fatalf("type after import = %+v", types[0])
		}
		att, err := f.orders.Attendees(f.ctx, f.event.ID, "", api.PageParams{Limit: 50})
		if err != nil || len(att.Body.Data) != 3 {
			t.Fatalf("attendees = %v, %v", att, err)
		}
	})
}

func TestImportAttendeesIsAllOrNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 3, 1000)
		tests := []struct {
			name   string
			csv    string
			code   fault.Code
			fields []string
		}{
			{"bad rows", "name,email,ticket_type_id\nGood,good@example.com," + f.general.ID + "\n,not-an-email," + f.general.ID + "\nX,x@example.com,tty_nope\n",
				fault.Validation, []string{"rows[3].name", "rows[3].email", "rows[4].ticket_type_id"}},
			{"unknown type name", "name,email,ticket_type\nA,a@example.com,VIP\n", fault.Validation, []string{"rows[2].ticket_type"}},
			{"no header columns", "who,where\nA,B\n", fault.Validation, []string{"header.name", "header.email", "header.ticket_type"}},
			{"empty", "", fault.Validation, []string{"file"}},
			{"header only", "name,email,ticket_type\n", fault.Validation, []string{"file"}},
			{"broken quotes", "name,email,ticket_type\n\"A,a@example.com,General\n", fault.Validation, nil},
			{"over the quota", "name,email,ticket_type\nA,a@example.com,General\nB,b@example.com,General\nC,c@example.com,General\nD,d@example.com,General\n", fault.SoldOut, nil},
		}
		for _, tc := range tests {
			_, err := f.orders.ImportAttendees(f.ctx, f.event.ID, strings.NewReader(tc.csv))
			if fault.CodeOf(err) != tc.code {
				t.Fatalf("%s: err = %v, want %s", tc.name, err, tc.code)
			}
			var fe *fault.Error
			errors.As(err, &fe)
			for _, want := range tc.fields {
				found := false
				for _, fl := range fe.Fields {
					found = found || fl.Field == want
				}
				if !found {
					t.Errorf("%s: no error for %s in %+v", tc.name, want, fe.Fields)
				}
			}
		}
		list, err := f.orders.List(f.ctx, f.event.ID, order.Filter{}, api.PageParams{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Body.Data) != 0 {
			t.Fatalf("a failed import left %d orders", len(list.Body.Data))
		}
		// Another tenant's event is not found before the file is read.
		if _, err := f.orders.ImportAttendees(f.ctx, "evt_nope", strings.NewReader("x")); !fault.Is(err, fault.NotFound) {
			t.Fatalf("unknown event: %v", err)
		}
	})
}

// An import with text no database can store (a NUL, bytes that are not
// UTF-8) is a client's error on both databases, and imports nothing.
func TestImportRefusesUnstorableText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 10, 99000)
		for _, name := range []string{"Nul\x00Kim", "Bad\xffLee"} {
			csv := "name,email,ticket_type\n" + name + ",x@example.com,General\n"
			_, err := f.orders.ImportAttendees(f.ctx, f.event.ID, strings.NewReader(csv))
			if err == nil || fault.CodeOf(err) == fault.Internal || fault.CodeOf(err) == "" {
				t.Errorf("import of %q: err = %v (code %q), want a client's error", name, err, fault.CodeOf(err))
			}
		}
		list, err := f.orders.List(f.ctx, f.event.ID, order.Filter{}, api.PageParams{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Body.Data) != 0 {
			t.Fatalf("%d orders imported from refused files", len(list.Body.Data))
		}
	})
}

// TestImportReadsAnExport: attendees.csv, as exported, imports again: the
// formula guard of its cells ("'+8210…") is taken off, so phones parse.
func TestImportReadsAnExport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 10, 99000)
		csv := "name,email,phone,ticket_type\n홍길동,hong@example.com,010-1234-5678,General\n-Dash,dash@example.com,,General\n"
		if _, err := f.orders.ImportAttendees(f.ctx, f.event.ID, strings.NewReader(csv)); err != nil {
			t.Fatal(err)
		}
		exported, err := f.orders.ExportAttendees(f.ctx, f.event.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(exported), "'+821012345678") || !strings.Contains(string(exported), "'-Dash") {
			t.Fatalf("the export's cells are not guarded: %s", exported)
		}
		res, err := f.orders.ImportAttendees(f.ctx, f.event.ID, strings.NewReader(string(exported)))
		if err != nil {
			t.Fatalf("importing the export: %v\n%s", err, exported)
		}
		if res.Orders != 2 {
			t.Fatalf("result = %+v", res)
		}
		list, err := f.orders.List(f.ctx, f.event.ID, order.Filter{Status: order.StatusPaid}, api.PageParams{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		phones, names := map[string]int{}, map[string]int{}
		for _, o := range list.Body.Data {
			phones[o.Buyer.Phone]++
			names[o.Buyer.Name]++
		}
		if phones["+821012345678"] != 2 || names["-Dash"] != 2 {
			t.Fatalf("after the round trip: phones %v, names %v", phones, names)
		}
	})
}
