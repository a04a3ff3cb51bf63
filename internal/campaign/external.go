package campaign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

// ExternalCredential lets an outside system push participation records.
type ExternalCredential struct {
	ID        string     `json:"id" db:"id"`
	Name      string     `json:"name" db:"name"`
	Username  string     `json:"username" db:"username"`
	CreatedAt time.Time  `json:"created_at" db:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty" db:"revoked_at"`
}

// NewExternalCredential is a just-made credential with its password.
type NewExternalCredential struct {
	ExternalCredential
	Password string `json:"password" doc:"Shown only in this answer."`
}

// hashSecret hashes a high-entropy random secret: a fast hash is enough
// because such a secret cannot be guessed, unlike a person's password.
func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// CreateExternalCredential makes a Basic-auth credential for the tenant of ctx.
func (s *Service) CreateExternalCredential(ctx context.Context, name string) (*NewExternalCredential, error) {
	name, ok := cleanText(name)
	if !ok {
		return nil, fault.Field("name", "must not be empty or hold control characters")
	}
	secret := id.Secret(24)
	c := &NewExternalCredential{ExternalCredential: ExternalCredential{
		ID: id.New(prefixCredential), Name: name, Username: "ext_" + id.Secret(10), CreatedAt: s.now(),
	}, Password: secret}
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO external_credentials (tenant_id, id, name, username, secret_hash, created_at) VALUES (@tenant, ?, ?, ?, ?, ?)`,
			c.ID, c.Name, c.Username, hashSecret(secret), c.CreatedAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, c.ID)
	return c, nil
}

// RevokeExternalCredential stops a credential from working, at once.
func (s *Service) RevokeExternalCredential(ctx context.Context, credentialID string) error {
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		return tx.ExecOne(`UPDATE external_credentials SET revoked_at = ? WHERE id = ? AND tenant_id = @tenant AND revoked_at IS NULL`, s.now(), credentialID)
	})
	if fault.Is(err, fault.NotFound) {
		return fault.New(fault.NotFound, "no external credential %q", credentialID)
	}
	return err
}

// ListExternalCredentials lists the tenant's credentials that work.
func (s *Service) ListExternalCredentials(ctx context.Context) ([]ExternalCredential, error) {
	out := []ExternalCredential{}
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Select(&out, `SELECT id, name, username, created_at, revoked_at FROM external_credentials
			WHERE tenant_id = @tenant AND revoked_at IS NULL ORDER BY id DESC`)
	})
	return out, err
}

// ExternalRecord is the body an outside system posts.
type ExternalRecord struct {
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Time    string `json:"time" doc:"RFC 3339: when the person took part."`
	EventID string `json:"event_id" doc:"The campaign's id."`
}

// credentialOwner checks Basic-auth credentials and returns the credential
// and its tenant.
func (s *Service) credentialOwner(tx *db.Tx, username, password string) (credID, tenantID string, err error) {
	var row struct {
		ID       string `db:"id"`
		TenantID string `db:"tenant_id"`
		Hash     string `db:"secret_hash"`
	}
	err = tx.Global().Get(&row, `SELECT id, tenant_id, secret_hash FROM external_credentials WHERE username = ? AND revoked_at IS NULL`, username)
	bad := fault.New(fault.Unauthorized, "the Basic credentials are not valid")
	if fault.Is(err, fault.NotFound) {
		return "", "", bad
	}
	if err != nil {
		return "", "", err
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(password)), []byte(row.Hash)) != 1 {
		return "", "", bad
	}
	return row.ID, row.TenantID, nil
}

// externalClockSkew is how far ahead of this server's clock an outside
// system's time may run: a record from further ahead tells of a
// participation that has not happened.
const externalClockSkew = 5 * time.Minute

// RecordExternal accepts a participation record from an outside system. The
// raw body is archived verbatim with the time it arrived, as accepted or
// rejected with the reason; a rejected record still gets its 4xx.
func (s *Service) RecordExternal(ctx context.Context, username, password string, raw []byte) (*Participation, error) {
	received := s.now()
	var credID, tenantID string
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		var err error
		credID, tenantID, err = s.credentialOwner(tx, username, password)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out *Participation
	err = s.db.Write(db.WithTenant(ctx, tenantID), func(tx *db.Tx) error {
		rec, p, err := parseExternal(raw)
		if err != nil {
			return err
		}
		c, err := s.getCampaign(tx, rec.EventID)
		if fault.Is(err, fault.NotFound) {
			return fault.Field("event_id", "is not a campaign of this organization")
		}
		if err != nil {
			return err
		}
		at, _ := time.Parse(time.RFC3339, rec.Time)
		if at.After(received.Add(externalClockSkew)) {
			return fault.Field("time", "must not be in the future")
		}
		p.channel = "external"
		out, err = s.insertParticipation(tx, c, p, SourceExternal, Meta{At: at, UserAgent: "external:" + credID})
		if err != nil {
			return err
		}
		return archive(tx, credID, raw, received, "accepted", "", out.ID)
	})
	if err == nil || fault.CodeOf(err) == fault.Internal {
		return out, err
	}
	// The record was refused: archive it in a transaction of its own, since
	// the refused one was rolled back.
	reason := err.Error()
	var fe *fault.Error
	if errorsAs(err, &fe) {
		reason = string(fe.Code) + ": " + fe.Message
	}
	if aerr := s.db.Write(db.WithTenant(ctx, tenantID), func(tx *db.Tx) error {
		return archive(tx, credID, raw, received, "rejected", reason, "")
	}); aerr != nil {
		return nil, aerr
	}
	return nil, err
}

func archive(tx *db.Tx, credID string, raw []byte, at time.Time, status, reason, participationID string) error {
	if raw == nil {
		raw = []byte{} // an empty body is archived as such, never as NULL
	}
	_, err := tx.Exec(`INSERT INTO external_records (tenant_id, id, credential_id, raw_body, received_at, status, reason, participation_id)
		VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?)`, id.New(prefixRecord), credID, raw, at, status, truncate(reason, 500), participationID)
	return err
}

// parseExternal decodes and validates an external record body.
func parseExternal(raw []byte) (ExternalRecord, participant, error) {
	var rec ExternalRecord
	if len(bytes.TrimSpace(raw)) == 0 {
		return rec, participant{}, fault.New(fault.Invalid, "the body is empty; send a JSON object of name, phone, time and event_id")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&rec); err != nil {
		return rec, participant{}, fault.Wrap(err, fault.Invalid, "the body is not a JSON object of name, phone, time and event_id")
	}
	if dec.More() {
		return rec, participant{}, fault.New(fault.Invalid, "the body holds more than one JSON value")
	}
	var c fault.Check
	name, ok := cleanText(rec.Name)
	c.Add(!ok, "name", "must not be empty or hold control characters")
	phone, ok := NormalizePhone(rec.Phone)
	c.Add(!ok, "phone", "must be a valid phone number")
	t, err := time.Parse(time.RFC3339, rec.Time)
	c.Add(err != nil || t.Year() < 2000 || t.Year() > 9999, "time", "must be an RFC 3339 time")
	c.Add(strings.TrimSpace(rec.EventID) == "" || len(rec.EventID) > 100, "event_id", "must be a campaign id")
	return rec, participant{name: name, phone: phone}, c.Err()
}

// ExternalRecordRow is one archived external record.
type ExternalRecordRow struct {
	ID              string    `json:"id" db:"id"`
	CredentialID    string    `json:"credential_id" db:"credential_id"`
	RawBody         []byte    `json:"-" db:"raw_body"`
	Body            string    `json:"raw_body" db:"-" doc:"The body as it came, as text. Bytes that are not UTF-8 show as U+FFFD here; raw_body_base64 then carries the exact body."`
	BodyBase64      string    `json:"raw_body_base64,omitempty" db:"-" doc:"The exact body in standard base64, present only when the body is not valid UTF-8 (raw_body cannot show it)."`
	ReceivedAt      time.Time `json:"received_at" db:"received_at"`
	Status          string    `json:"status" db:"status" enum:"accepted,rejected"`
	Reason          string    `json:"reason,omitempty" db:"reason"`
	ParticipationID string    `json:"participation_id,omitempty" db:"participation_id"`
}

// ListExternalRecords lists the tenant's archived external records, newest first.
func (s *Service) ListExternalRecords(ctx context.Context, page api.PageParams) (*api.List[ExternalRecordRow], error) {
	after, err := api.DecodeCursor(page.Cursor)
	if err != nil {
		return nil, err
	}
	var out []ExternalRecordRow
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		q := `SELECT id, credential_id, raw_body, received_at, status, reason, participation_id FROM external_records WHERE tenant_id = @tenant`
		args := []any{}
		if after != "" {
			q += ` AND id < ?`
			args = append(args, after)
		}
		return tx.Select(&out, q+` ORDER BY id DESC LIMIT ?`, append(args, page.Limit+1)...)
	})
	for i := range out {
		r := &out[i]
		r.Body = string(r.RawBody)
		if !utf8.Valid(r.RawBody) {
			r.Body = strings.ToValidUTF8(r.Body, "\uFFFD")
			r.BodyBase64 = base64.StdEncoding.EncodeToString(r.RawBody)
		}
	}
	if err != nil {
		return nil, err
	}
	return api.NewList(out, page.Limit, func(r ExternalRecordRow) string { return r.ID }), nil
}
