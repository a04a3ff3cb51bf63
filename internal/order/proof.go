package order

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/outbox"
)

// Proofs: an order of a ticket type that requires verification waits as
// pending_verification until staff accept or refuse it. The buyer sends
// the proof (a photo of a student ID, a PDF certificate) to the order; staff
// look at it before deciding. One file per order: a new upload replaces the
// old one while the order waits. It holds personal data, so it is kept only
// while it may still matter: with an accepted order, as the record of why
// it was accepted; a refused or cancelled order's file is deleted in the
// same transaction. It is only ever shown to the tenant's staff and never
// logged.

// MaxProofBytes bounds a proof file. The public page shrinks photos in the
// browser to fit; the API refuses larger files with request_too_large.
const MaxProofBytes = 1_000_000

// proofTypes are the file types a proof may have, as declared by the
// uploader and as sniffed from the file's first bytes.
var proofTypes = map[string]bool{
	"image/jpeg":      true,
	"image/png":       true,
	"image/webp":      true,
	"application/pdf": true,
}

// ProofTypes lists the accepted proof types, for pages and documentation.
const ProofTypes = "image/jpeg, image/png, image/webp, application/pdf"

// Proof describes an order's proof file.
type Proof struct {
	ContentType string    `json:"content_type" db:"content_type" enum:"image/jpeg,image/png,image/webp,application/pdf"`
	Size        int       `json:"size" db:"size" doc:"Bytes."`
	SHA256      string    `json:"sha256" db:"sha256" doc:"Hex SHA-256 of the file."`
	UploadedAt  time.Time `json:"uploaded_at" db:"uploaded_at"`
}

// checkProof validates an upload: its declared type must be one of
// proofTypes, and its bytes must really be of that type.
func checkProof(contentType string, data []byte) (string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || !proofTypes[mt] {
		return "", fault.New(fault.UnsupportedMedia, "a proof must be one of %s, not %q", ProofTypes, contentType)
	}
	if len(data) == 0 {
		return "", fault.Field("body", "the file is empty")
	}
	if len(data) > MaxProofBytes {
		return "", fault.New(fault.TooLarge, "a proof may be at most %d bytes; this one is %d", MaxProofBytes, len(data))
	}
	if sniffed, _, _ := strings.Cut(http.DetectContentType(data), ";"); sniffed != mt {
		return "", fault.New(fault.UnsupportedMedia, "the file is not %s (it looks like %s)", mt, sniffed)
	}
	return mt, nil
}

// UploadProofPublic stores the proof of an order for whoever holds its
// access key.
func (s *Service) UploadProofPublic(ctx context.Context, orderID, key, contentType string, data []byte) (*Order, error) {
	ctx, err := s.orderOwner(ctx, orderID, key)
	if err != nil {
		return nil, err
	}
	return s.UploadProof(ctx, orderID, contentType, data)
}

// UploadProof stores (or replaces) the proof of an order that waits for
// verification; any other order is invalid_transition.
func (s *Service) UploadProof(ctx context.Context, orderID, contentType string, data []byte) (*Order, error) {
	mt, err := checkProof(contentType, data)
	if err != nil {
		// Another tenant's order is not found before anything is said
		// about the file.
		if _, gerr := s.Get(ctx, orderID); gerr != nil {
			return nil, gerr
		}
		return nil, err
	}
	sum := sha256.Sum256(data)
	p := Proof{ContentType: mt, Size: len(data), SHA256: hex.EncodeToString(sum[:]), UploadedAt: s.now()}
	var out *Order
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		r, err := s.lockRow(tx, orderID)
		if err != nil {
			return err
		}
		if r.Status != StatusPendingVerification {
			return fault.New(fault.InvalidTransition, "the order is %s: a proof is only taken while it waits for verification", r.order(p.UploadedAt).Status)
		}
		if _, err := tx.Exec(`INSERT INTO order_proofs (tenant_id, order_id, content_type, size, sha256, data, uploaded_at)
			VALUES (@tenant, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (order_id) DO UPDATE SET content_type = excluded.content_type, size = excluded.size,
				sha256 = excluded.sha256, data = excluded.data, uploaded_at = excluded.uploaded_at`,
			orderID, p.ContentType, p.Size, p.SHA256, data, p.UploadedAt); err != nil {
			return err
		}
		if _, err := outbox.Emit(tx, "order.proof_uploaded", orderID, map[string]any{
			"order_id": orderID, "event_id": r.EventID, "content_type": p.ContentType, "size": p.Size,
		}, p.UploadedAt); err != nil {
			return err
		}
		out, err = s.load(tx, r, p.UploadedAt)
		return err
	})
	return out, err
}

// ProofFile returns an order's proof and its bytes; not_found when the order
// has none.
func (s *Service) ProofFile(ctx context.Context, orderID string) (*Proof, []byte, error) {
	var p struct {
		Proof
		Data []byte `db:"data"`
	}
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Get(&p, `SELECT content_type, size, sha256, data, uploaded_at FROM order_proofs WHERE tenant_id = @tenant AND order_id = ?`, orderID)
	})
	if fault.Is(err, fault.NotFound) {
		return nil, nil, fault.New(fault.NotFound, "order %q has no proof", orderID)
	}
	if err != nil {
		return nil, nil, err
	}
	return &p.Proof, p.Data, nil
}

// loadProof fills o.Proof when the order has one.
func loadProof(tx *db.Tx, o *Order) error {
	var ps []Proof
	if err := tx.Select(&ps, `SELECT content_type, size, sha256, uploaded_at FROM order_proofs WHERE tenant_id = @tenant AND order_id = ?`, o.ID); err != nil {
		return err
	}
	if len(ps) > 0 {
		o.Proof = &ps[0]
	}
	return nil
}

// ProofUploadRequest is PUT /v1/orders/{order_id}/proof: the file itself as
// the body, its type in Content-Type.
type ProofUploadRequest struct {
	OrderPath
	ContentType string `header:"Content-Type" doc:"One of image/jpeg, image/png, image/webp, application/pdf."`
	RawBody     []byte `contentType:"image/jpeg" doc:"The proof file, at most 1,000,000 bytes."`
}

// HandleUploadProof stores an order's proof for staff (sent to them by other
// means, say).
func (s *Service) HandleUploadProof(ctx context.Context, in *ProofUploadRequest) (*OrderResponse, error) {
	return answer(s.UploadProof(ctx, in.OrderID, in.ContentType, in.RawBody))
}

// PublicProofUploadRequest is PUT /v1/public/orders/{order_id}/proof.
type PublicProofUploadRequest struct {
	OrderPath
	Key         string `query:"key" maxLength:"200" doc:"The order's access key."`
	ContentType string `header:"Content-Type" doc:"One of image/jpeg, image/png, image/webp, application/pdf."`
	RawBody     []byte `contentType:"image/jpeg" doc:"The proof file, at most 1,000,000 bytes."`
}

// HandleUploadProofPublic stores the proof its buyer sends for an order
// waiting for verification.
func (s *Service) HandleUploadProofPublic(ctx context.Context, in *PublicProofUploadRequest) (*PublicOrderResponse, error) {
	o, err := s.UploadProofPublic(ctx, in.OrderID, in.Key, in.ContentType, in.RawBody)
	if err != nil {
		return nil, err
	}
	return &PublicOrderResponse{CacheControl: "no-store", Body: &PublicOrder{Order: o}}, nil
}

// ProofResponse is an order's proof file. It is served so that a browser
// shows it but never runs it: no sniffing, and a sandbox for anything that
// renders as a document.
type ProofResponse struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	CacheControl       string `header:"Cache-Control"`
	NoSniff            string `header:"X-Content-Type-Options"`
	CSP                string `header:"Content-Security-Policy"`
	Body               []byte
}

// HandleGetProof returns an order's proof file to its staff.
func (s *Service) HandleGetProof(ctx context.Context, in *OrderPath) (*ProofResponse, error) {
	p, data, err := s.ProofFile(ctx, in.OrderID)
	if err != nil {
		return nil, err
	}
	return ProofHeaders(in.OrderID, p, data), nil
}

// ProofHeaders is how a proof file is served, by the API and the pages.
func ProofHeaders(orderID string, p *Proof, data []byte) *ProofResponse {
	ext := map[string]string{"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}[p.ContentType]
	return &ProofResponse{
		ContentType:        p.ContentType,
		ContentDisposition: `inline; filename="proof-` + orderID + `.` + ext + `"`,
		CacheControl:       "private, no-store",
		NoSniff:            "nosniff",
		CSP:                "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
		Body:               data,
	}
}

// dropProof deletes an order's proof file, if it has one, inside tx.
func dropProof(tx *db.Tx, orderID string) error {
	_, err := tx.Exec(`DELETE FROM order_proofs WHERE tenant_id = @tenant AND order_id = ?`, orderID)
	return err
}
