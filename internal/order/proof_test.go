package order_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/order"
)

// tinyPNG is a real PNG file of one pixel.
func tinyPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A student buyer sends the proof of a pending order with the order's key;
// staff read it back. Files of the wrong type, that lie about their type,
// that are too large or empty, proofs for orders not waiting, wrong keys and
// other tenants are refused, and a refusal changes nothing.
func TestProofUpload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 10, 1000)
		student, err := f.events.CreateTicketType(f.ctx, f.event.ID, event.TicketTypeInput{Name: "Student", Price: 100, Currency: "KRW", Quota: 5, RequiresVerification: true})
		if err != nil {
			t.Fatal(err)
		}
		pub := context.Background()
		o, err := f.orders.CreatePublic(pub, f.event.ID, order.PublicCreateInput{Buyer: order.Buyer{Name: "Han", Email: "han@example.com"},
			Items: []order.ItemInput{{TicketTypeID: student.ID, Quantity: 1}}})
		if err != nil || o.Status != order.StatusPendingVerification {
			t.Fatalf("student order = %+v, %v", o, err)
		}
		if _, _, err := f.orders.ProofFile(f.ctx, o.ID); !fault.Is(err, fault.NotFound) {
			t.Fatalf("proof before any upload: %v", err)
		}

		img := tinyPNG(t)
		_, err = f.orders.UploadProofPublic(pub, o.ID, "oak_wrong", "image/png", img)
		wantCode(t, err, fault.NotFound)
		_, err = f.orders.UploadProofPublic(pub, o.ID, o.AccessKey, "text/html", []byte("<script>alert(1)</script>"))
		wantCode(t, err, fault.UnsupportedMedia)
		_, err = f.orders.UploadProofPublic(pub, o.ID, o.AccessKey, "image/jpeg", img) // a PNG that says it is a JPEG
		wantCode(t, err, fault.UnsupportedMedia)
		_, err = f.orders.UploadProofPublic(pub, o.ID, o.AccessKey, "image/png", nil)
		wantCode(t, err, fault.Validation)
		_, err = f.orders.UploadProofPublic(pub, o.ID, o.AccessKey, "image/png", append(img, make([]byte, order.MaxProofBytes)...))
		wantCode(t, err, fault.TooLarge)
		if _, _, err := f.orders.ProofFile(f.ctx, o.ID); !fault.Is(err, fault.NotFound) {
			t.Fatalf("a refused upload left a proof: %v", err)
		}

		got, err := f.orders.UploadProofPublic(pub, o.ID, o.AccessKey, "image/png", img)
		if err != nil {
			t.Fatal(err)
		}
		if got.Proof == nil || got.Proof.ContentType != "image/png" || got.Proof.Size != len(img) || len(got.Proof.SHA256) != 64 {
			t.Fatalf("order after upload: proof %+v", got.Proof)
		}
		// A second upload replaces the first.
		pdf := []byte("%PDF-1.4\n% a student certificate\n")
		if _, err := f.orders.UploadProof(f.ctx, o.ID, "application/pdf; charset=binary", pdf); err != nil {
			t.Fatal(err)
		}
		p, data, err := f.orders.ProofFile(f.ctx, o.ID)
		if err != nil || p.ContentType != "application/pdf" || !bytes.Equal(data, pdf) {
			t.Fatalf("proof = %+v %q, %v", p, data, err)
		}
		if o2, err := f.orders.Get(f.ctx, o.ID); err != nil || o2.Proof == nil || o2.Proof.Size != len(pdf) {
			t.Fatalf("Get shows proof %+v, %v", o2.Proof, err)
		}

		// Another tenant sees neither the proof nor the order.
		other := db.WithTenant(context.Background(), id.New(id.Tenant))
		if _, _, err := f.orders.ProofFile(other, o.ID); !fault.Is(err, fault.NotFound) {
			t.Fatalf("another tenant read the proof: %v", err)
		}
		_, err = f.orders.UploadProof(other, o.ID, "image/png", img)
		wantCode(t, err, fault.NotFound)

		// Once staff decided, the proof stays and no new one is taken.
		if _, err := f.orders.ApproveVerification(f.ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.orders.UploadProofPublic(pub, o.ID, o.AccessKey, "image/png", img)
		wantCode(t, err, fault.InvalidTransition)
		if p, _, err := f.orders.ProofFile(f.ctx, o.ID); err != nil || p.ContentType != "application/pdf" {
			t.Fatalf("proof after approval = %+v, %v", p, err)
		}
		// A refused order's proof is deleted with the decision, and a
		// cancelled order's with the cancellation.
		for _, refuse := range []bool{true, false} {
			o, err := f.orders.CreatePublic(pub, f.event.ID, order.PublicCreateInput{Buyer: order.Buyer{Name: "Ko", Email: "ko@example.com"},
				Items: []order.ItemInput{{TicketTypeID: student.ID, Quantity: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.orders.UploadProofPublic(pub, o.ID, o.AccessKey, "image/png", img); err != nil {
				t.Fatal(err)
			}
			if refuse {
				_, err = f.orders.RejectVerification(f.ctx, o.ID)
			} else {
				_, err = f.orders.Cancel(f.ctx, o.ID)
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := f.orders.ProofFile(f.ctx, o.ID); !fault.Is(err, fault.NotFound) {
				t.Fatalf("refused %v: the proof is still there (%v)", refuse, err)
			}
		}

		// An order that never needed verification takes no proof.
		plain, err := f.hold("", f.general.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.orders.UploadProof(f.ctx, plain.ID, "image/png", img)
		wantCode(t, err, fault.InvalidTransition)
	})
}
