package ticket

import (
	"crypto/ed25519"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The ticket code, format version 1.
//
// A code is the text a ticket's QR encodes and a scanner sends:
//
//	"1" + base32(kid[4] | ticket[16] | typePrefix[2] | type[16] | notBefore[4] | notAfter[4] | sig[64])
//
// The first character is the format version, kept outside the binary part so
// that a reader can tell formats apart before decoding anything. The base32
// alphabet is Crockford's in upper case: digits and letters only, so the code
// fits the QR alphanumeric mode, survives keyboard-wedge scanners on any
// keyboard layout and can be typed by hand.
//
// The event id is not carried: each key belongs to exactly one event, so a
// valid signature by an event's key proves the event. It is still signed
// (see signedMessage), so a key filed under the wrong event fails to verify.
// That saves 16 bytes; with Ed25519's 64-byte signature and two 16-byte ids
// the code is 177 characters, which fits QR version 7 at error correction M
// (45×45 modules). Times are Unix seconds (good until 2106).
const (
	formatV1    = '1'
	kidLen      = 4
	idLen       = 16
	prefixLen   = 2
	bodyLen     = kidLen + idLen + prefixLen + idLen + 4 + 4
	rawLen      = bodyLen + ed25519.SignatureSize
	codeLen     = 1 + (rawLen*8+4)/5
	sigDomain   = "usher-ticket\x00"
	ticketIDPre = "tkt"
)

// b32 is upper-case Crockford base32 without padding.
var b32 = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// idBody is the lower-case alphabet of package id, to turn ids into bytes.
var idBody = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// Errors of Verify. Each one is distinct so that a gate can say why a code was
// refused; all but ErrNotYetValid and ErrExpired mean "not a ticket of ours".
var (
	ErrMalformed    = errors.New("ticket: malformed code")
	ErrUnknownKey   = errors.New("ticket: code signed by an unknown key")
	ErrBadSignature = errors.New("ticket: bad signature")
	ErrNotYetValid  = errors.New("ticket: not valid yet")
	ErrExpired      = errors.New("ticket: expired")
)

// Claims are what a verified code says about its ticket.
type Claims struct {
	Version      int       `json:"version"`
	KID          string    `json:"kid"`
	TicketID     string    `json:"ticket_id"`
	EventID      string    `json:"event_id"`
	TicketTypeID string    `json:"ticket_type_id"`
	NotBefore    time.Time `json:"not_before"`
	NotAfter     time.Time `json:"not_after"`
}

// VerifyKey is one public key of an event, as a gate holds it.
type VerifyKey struct {
	EventID   string
	KID       string
	PublicKey ed25519.PublicKey
}

// KeySet holds the public keys a verifier trusts, for any number of events.
// The zero value is empty; build one with NewKeySet or Add.
type KeySet struct {
	byKID map[[kidLen]byte][]VerifyKey
}

// NewKeySet returns a key set holding keys.
func NewKeySet(keys ...VerifyKey) (KeySet, error) {
	var ks KeySet
	for _, k := range keys {
		if err := ks.Add(k); err != nil {
			return KeySet{}, err
		}
	}
	return ks, nil
}

// Add puts a key in the set after checking its shape.
func (ks *KeySet) Add(k VerifyKey) error {
	kid, err := parseKID(k.KID)
	if err != nil {
		return err
	}
	if len(k.PublicKey) != ed25519.PublicKeySize {
		return fmt.Errorf("ticket: key %s: public key has %d bytes, want %d", k.KID, len(k.PublicKey), ed25519.PublicKeySize)
	}
	if _, err := idBytes(k.EventID, ""); err != nil {
		return fmt.Errorf("ticket: key %s: event id: %w", k.KID, err)
	}
	if ks.byKID == nil {
		ks.byKID = map[[kidLen]byte][]VerifyKey{}
	}
	ks.byKID[kid] = append(ks.byKID[kid], k)
	return nil
}

// Len returns how many keys the set holds.
func (ks KeySet) Len() int {
	n := 0
	for _, v := range ks.byKID {
		n += len(v)
	}
	return n
}

// Verify checks a ticket code against the trusted keys at time now, without
// any database: it is what a gate runs offline. It returns the claims with a
// nil error for a good code. For ErrNotYetValid and ErrExpired it also returns
// the claims, since the signature is good and a gate may show whose ticket it
// is; for every other error the claims are empty.
func Verify(code string, keys KeySet, now time.Time) (Claims, error) {
	p, err := parse(code)
	if err != nil {
		return Claims{}, err
	}
	cands := keys.byKID[p.kid]
	if len(cands) == 0 {
		return Claims{}, ErrUnknownKey
	}
	// A 4-byte key id may in principle collide across events; every
	// candidate is tried, and the signature decides.
	for _, k := range cands {
		ev, err := idBytes(k.EventID, "")
		if err != nil {
			continue
		}
		if !ed25519.Verify(k.PublicKey, signedMessage(ev, p.body), p.sig) {
			continue
		}
		c, err := p.claims(k.EventID)
		if err != nil {
			return Claims{}, err
		}
		switch {
		case now.Before(c.NotBefore):
			return c, ErrNotYetValid
		case !now.Before(c.NotAfter):
			return c, ErrExpired
		}
		return c, nil
	}
	return Claims{}, ErrBadSignature
}

// KIDOf returns the key id a code claims to be signed with, without verifying
// anything; the server uses it to find the key.
func KIDOf(code string) (string, error) {
	p, err := parse(code)
	if err != nil {
		return "", err
	}
	return formatKID(p.kid), nil
}

// parsed is a syntactically valid code, not yet verified.
type parsed struct {
	kid  [kidLen]byte
	body []byte // the signed fields, kid included
	sig  []byte
}

// parse decodes a code. Scanners and people may add surrounding white space
// or use lower case; neither changes the code.
func parse(code string) (parsed, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) != codeLen {
		if len(code) > 0 && code[0] != formatV1 {
			return parsed{}, fmt.Errorf("%w: unknown format version", ErrMalformed)
		}
		return parsed{}, fmt.Errorf("%w: wrong length", ErrMalformed)
	}
	if code[0] != formatV1 {
		return parsed{}, fmt.Errorf("%w: unknown format version", ErrMalformed)
	}
	raw, err := b32.DecodeString(code[1:])
	if err != nil || len(raw) != rawLen {
		return parsed{}, fmt.Errorf("%w: not base32", ErrMalformed)
	}
	// The decoder ignores non-zero padding bits; refusing them keeps one
	// code per ticket. (880 bits fill 176 characters exactly today, but the
	// check stays right if the layout changes.)
	if b32.EncodeToString(raw) != code[1:] {
		return parsed{}, fmt.Errorf("%w: not canonical base32", ErrMalformed)
	}
	var p parsed
	copy(p.kid[:], raw[:kidLen])
	p.body = raw[:bodyLen]
	p.sig = raw[bodyLen:]
	return p, nil
}

// claims reads the signed fields; only called after the signature checked.
func (p parsed) claims(eventID string) (Claims, error) {
	b := p.body[kidLen:]
	ticket := b[:idLen]
	b = b[idLen:]
	prefix, err := unpackPrefix(binary.BigEndian.Uint16(b[:prefixLen]))
	if err != nil {
		return Claims{}, err
	}
	b = b[prefixLen:]
	typ := b[:idLen]
	b = b[idLen:]
	return Claims{
		Version:      1,
		KID:          formatKID(p.kid),
		TicketID:     ticketIDPre + "_" + idBody.EncodeToString(ticket),
		EventID:      eventID,
		TicketTypeID: prefix + "_" + idBody.EncodeToString(typ),
		NotBefore:    time.Unix(int64(binary.BigEndian.Uint32(b[:4])), 0).UTC(),
		NotAfter:     time.Unix(int64(binary.BigEndian.Uint32(b[4:8])), 0).UTC(),
	}, nil
}

// signedMessage is what the signature covers: a domain string (so the key
// can never be tricked into signing something that reads as a ticket), the
// version, the event the key belongs to, and the fields in the code.
func signedMessage(eventID, body []byte) []byte {
	m := make([]byte, 0, len(sigDomain)+1+len(eventID)+len(body))
	m = append(m, sigDomain...)
	m = append(m, formatV1)
	m = append(m, eventID...)
	return append(m, body...)
}

// encode signs claims with the event's private key and returns the code.
func encode(c Claims, priv ed25519.PrivateKey) (string, error) {
	kid, err := parseKID(c.KID)
	if err != nil {
		return "", err
	}
	ticket, err := idBytes(c.TicketID, ticketIDPre)
	if err != nil {
		return "", fmt.Errorf("ticket id: %w", err)
	}
	ev, err := idBytes(c.EventID, "")
	if err != nil {
		return "", fmt.Errorf("event id: %w", err)
	}
	prefix, _, ok := strings.Cut(c.TicketTypeID, "_")
	if !ok {
		return "", fmt.Errorf("ticket type id %q has no prefix", c.TicketTypeID)
	}
	packed, err := packPrefix(prefix)
	if err != nil {
		return "", fmt.Errorf("ticket type id: %w", err)
	}
	typ, err := idBytes(c.TicketTypeID, prefix)
	if err != nil {
		return "", fmt.Errorf("ticket type id: %w", err)
	}
	nb, na := c.NotBefore.Unix(), c.NotAfter.Unix()
	if nb < 0 || na > 1<<32-1 || na <= nb {
		return "", fmt.Errorf("validity %v – %v out of range", c.NotBefore, c.NotAfter)
	}
	raw := make([]byte, 0, rawLen)
	raw = append(raw, kid[:]...)
	raw = append(raw, ticket...)
	raw = binary.BigEndian.AppendUint16(raw, packed)
	raw = append(raw, typ...)
	raw = binary.BigEndian.AppendUint32(raw, uint32(nb))
	raw = binary.BigEndian.AppendUint32(raw, uint32(na))
	raw = append(raw, ed25519.Sign(priv, signedMessage(ev, raw))...)
	return string(formatV1) + b32.EncodeToString(raw), nil
}

// idBytes returns the 16 bytes of an id such as "evt_01jd…". An empty prefix
// accepts any prefix.
func idBytes(s, prefix string) ([]byte, error) {
	p, body, ok := strings.Cut(s, "_")
	if !ok || (prefix != "" && p != prefix) || len(body) != 26 {
		return nil, fmt.Errorf("%q is not an id", s)
	}
	b, err := idBody.DecodeString(body)
	if err != nil || len(b) != idLen {
		return nil, fmt.Errorf("%q is not an id", s)
	}
	return b, nil
}

// packPrefix packs a three-letter id prefix into 15 bits, so that a code can
// name a ticket type whatever prefix the event domain gives them.
func packPrefix(p string) (uint16, error) {
	if len(p) != 3 {
		return 0, fmt.Errorf("id prefix %q is not three letters", p)
	}
	var v uint16
	for i := 0; i < 3; i++ {
		c := p[i]
		if c < 'a' || c > 'z' {
			return 0, fmt.Errorf("id prefix %q is not three letters", p)
		}
		v = v<<5 | uint16(c-'a'+1)
	}
	return v, nil
}

func unpackPrefix(v uint16) (string, error) {
	var b [3]byte
	for i := 2; i >= 0; i-- {
		c := v & 31
		if c < 1 || c > 26 {
			return "", fmt.Errorf("%w: bad ticket type prefix", ErrMalformed)
		}
		b[i] = byte(c-1) + 'a'
		v >>= 5
	}
	if v != 0 {
		return "", fmt.Errorf("%w: bad ticket type prefix", ErrMalformed)
	}
	return string(b[:]), nil
}

// Key ids are the first four bytes of the SHA-256 of the public key, written
// as eight lower-case hex digits.
func formatKID(k [kidLen]byte) string { return hex.EncodeToString(k[:]) }

func formatKIDBytes(b []byte) string { return hex.EncodeToString(b[:kidLen]) }

func parseKID(s string) ([kidLen]byte, error) {
	var k [kidLen]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != kidLen || s != strings.ToLower(s) {
		return k, fmt.Errorf("ticket: key id %q is not %d lower-case hex digits", s, 2*kidLen)
	}
	copy(k[:], b)
	return k, nil
}
