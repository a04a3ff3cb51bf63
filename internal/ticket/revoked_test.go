package ticket

import (
	"bytes"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

// TestRevokedTicketHasNoQR: once its order is cancelled, a ticket's QR (PNG
// and SVG) is ticket_revoked and its PDF carries no QR image, while a valid
// ticket of the same event keeps all three. The QR used to be served, and
// printed in the PDF, whatever the ticket's status.
func TestRevokedTicketHasNoQR(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		valid := b.issue(t, id.New("ord"), 1)[0]
		order := id.New("ord")
		gone := b.issue(t, order, 1)[0]
		if err := b.db.Write(b.ctx, func(tx *db.Tx) error { return b.svc.RevokeOrder(tx, order) }); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.QRPNG(b.ctx, gone.ID); !fault.Is(err, fault.TicketRevoked) {
			t.Errorf("revoked QRPNG: %v, want ticket_revoked", err)
		}
		if _, err := b.svc.QRSVG(b.ctx, gone.ID); !fault.Is(err, fault.TicketRevoked) {
			t.Errorf("revoked QRSVG: %v, want ticket_revoked", err)
		}
		if p, err := b.svc.QRPNG(b.ctx, valid.ID); err != nil || !bytes.HasPrefix(p, []byte("\x89PNG")) {
			t.Errorf("valid QRPNG: %v", err)
		}
		if s, err := b.svc.QRSVG(b.ctx, valid.ID); err != nil || !bytes.HasPrefix(s, []byte("<svg")) {
			t.Errorf("valid QRSVG: %v", err)
		}

		pdf, err := b.svc.PDF(b.ctx, valid.ID)
		if fault.Is(err, fault.FontUnavailable) {
			t.Skip("fonts-nanum is not installed")
		}
		if err != nil {
			t.Fatal(err)
		}
		image := []byte("/Subtype /Image")
		if !bytes.Contains(pdf, image) {
			t.Fatal("the valid ticket's PDF has no image: the check below would prove nothing")
		}
		rpdf, err := b.svc.PDF(b.ctx, gone.ID)
		if err != nil || !bytes.HasPrefix(rpdf, []byte("%PDF-")) {
			t.Fatalf("revoked ticket PDF: %v", err)
		}
		if bytes.Contains(rpdf, image) {
			t.Error("the revoked ticket's PDF still carries its QR")
		}
	})
}
