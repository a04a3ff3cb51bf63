package ticket

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/id"
)

// testKey makes a key pair for an event as the service would.
func testKey(t testing.TB, eventID string) (VerifyKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pub)
	return VerifyKey{EventID: eventID, KID: formatKIDBytes(sum[:]), PublicKey: pub}, priv
}

var (
	t0    = time.Date(2027, 3, 1, 1, 0, 0, 0, time.UTC)
	nb    = t0.Add(-24 * time.Hour)
	na    = t0.Add(32 * time.Hour)
	inWin = t0.Add(time.Hour)
)

func testClaims(k VerifyKey) Claims {
	return Claims{
		KID: k.KID, TicketID: id.New(ticketIDPre), EventID: k.EventID, TicketTypeID: id.New("tty"),
		NotBefore: nb, NotAfter: na,
	}
}

func mustEncode(t testing.TB, c Claims, priv ed25519.PrivateKey) string {
	t.Helper()
	code, err := encode(c, priv)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestCodeRoundTrip(t *testing.T) {
	t.Parallel()
	k, priv := testKey(t, id.New("evt"))
	ks, err := NewKeySet(k)
	if err != nil {
		t.Fatal(err)
	}
	want := testClaims(k)
	code := mustEncode(t, want, priv)
	got, err := Verify(code, ks, inWin)
	if err != nil {
		t.Fatal(err)
	}
	want.Version = 1
	if got != want {
		t.Fatalf("claims = %+v, want %+v", got, want)
	}
	// Scanners may add a line end, people may type lower case.
	if _, err := Verify(" "+strings.ToLower(code)+"\r\n", ks, inWin); err != nil {
		t.Fatalf("lower case with white space: %v", err)
	}
}

func TestCodeShape(t *testing.T) {
	t.Parallel()
	k, priv := testKey(t, id.New("evt"))
	code := mustEncode(t, testClaims(k), priv)
	if len(code) != codeLen || len(code) > 180 {
		t.Fatalf("code has %d characters, want %d (≤ 180)", len(code), codeLen)
	}
	if code[0] != '1' {
		t.Fatalf("version character = %q", code[0])
	}
	for _, r := range code {
		if !strings.ContainsRune("0123456789ABCDEFGHJKMNPQRSTVWXYZ", r) {
			t.Fatalf("code has %q, outside the QR alphanumeric-safe alphabet", r)
		}
	}
	m, err := qrMatrix(code)
	if err != nil {
		t.Fatal(err)
	}
	// Version 7 is 45 modules wide: a small QR.
	if n := m.Bounds().Dx(); n > 45 {
		t.Fatalf("QR is %d modules wide, want ≤ 45 (version 7)", n)
	}
}

func TestVerifyErrors(t *testing.T) {
	t.Parallel()
	ev := id.New("evt")
	k, priv := testKey(t, ev)
	other, otherPriv := testKey(t, ev)
	ks, _ := NewKeySet(k)
	good := mustEncode(t, testClaims(k), priv)

	// A key with the same id but other bytes: the signature decides.
	forged := testClaims(k)
	forgedCode := mustEncode(t, forged, otherPriv)
	// The same key filed under another event fails too: the event is signed.
	misfiled, _ := NewKeySet(VerifyKey{EventID: id.New("evt"), KID: k.KID, PublicKey: k.PublicKey})
	unknown := mustEncode(t, testClaims(other), otherPriv)

	cases := []struct {
		name string
		code string
		ks   KeySet
		now  time.Time
		want error
	}{
		{"empty", "", ks, inWin, ErrMalformed},
		{"garbage", "hello", ks, inWin, ErrMalformed},
		{"other version", "2" + good[1:], ks, inWin, ErrMalformed},
		{"truncated", good[:len(good)-1], ks, inWin, ErrMalformed},
		{"not base32", good[:10] + "U" + good[11:], ks, inWin, ErrMalformed},
		{"unknown key", unknown, ks, inWin, ErrUnknownKey},
		{"forged", forgedCode, ks, inWin, ErrBadSignature},
		{"misfiled key", good, misfiled, inWin, ErrBadSignature},
		{"not yet valid", good, ks, nb.Add(-time.Second), ErrNotYetValid},
		{"first valid second", good, ks, nb, nil},
		{"expired", good, ks, na, ErrExpired},
		{"empty key set", good, KeySet{}, inWin, ErrUnknownKey},
	}
	for _, c := range cases {
		_, err := Verify(c.code, c.ks, c.now)
		if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	// Not yet valid and expired still say whose ticket it is.
	if c, err := Verify(good, ks, na.Add(time.Hour)); !errors.Is(err, ErrExpired) || c.TicketID == "" {
		t.Fatalf("expired: %+v %v", c, err)
	}
}

// TestTamper flips every character of a code to every other one: no change
// may verify.
func TestTamper(t *testing.T) {
	t.Parallel()
	k, priv := testKey(t, id.New("evt"))
	ks, _ := NewKeySet(k)
	code := mustEncode(t, testClaims(k), priv)
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	for i := 0; i < len(code); i++ {
		for _, r := range alphabet {
			if byte(r) == code[i] {
				continue
			}
			bad := code[:i] + string(r) + code[i+1:]
			if _, err := Verify(bad, ks, inWin); err == nil {
				t.Fatalf("tampered code verified (position %d → %c)", i, r)
			}
		}
	}
}

func TestKeySetRejectsBadKeys(t *testing.T) {
	t.Parallel()
	k, _ := testKey(t, id.New("evt"))
	bad := []VerifyKey{
		{EventID: k.EventID, KID: "xyz", PublicKey: k.PublicKey},
		{EventID: k.EventID, KID: "ABCDEF01", PublicKey: k.PublicKey},
		{EventID: k.EventID, KID: k.KID, PublicKey: k.PublicKey[:10]},
		{EventID: "nope", KID: k.KID, PublicKey: k.PublicKey},
	}
	for _, b := range bad {
		if _, err := NewKeySet(b); err == nil {
			t.Errorf("NewKeySet accepted %+v", b)
		}
	}
}

func TestPrefixPacking(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"aaa", "tty", "zzz", "evt"} {
		v, err := packPrefix(p)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := unpackPrefix(v); err != nil || got != p {
			t.Fatalf("%s → %d → %s %v", p, v, got, err)
		}
	}
	for _, p := range []string{"", "tt", "ttyy", "TTY", "t1y"} {
		if _, err := packPrefix(p); err == nil {
			t.Errorf("packPrefix(%q) accepted", p)
		}
	}
}

func FuzzVerify(f *testing.F) {
	k, priv := testKey(f, id.New("evt"))
	ks, _ := NewKeySet(k)
	good := mustEncode(f, testClaims(k), priv)
	f.Add(good)
	f.Add(strings.ToLower(good))
	f.Add("")
	f.Add("1")
	f.Add("1" + strings.Repeat("Z", codeLen-1))
	f.Add("1" + strings.Repeat("0", codeLen-1))
	f.Add(good[:codeLen-1] + "\x00")
	f.Fuzz(func(t *testing.T, code string) {
		c, err := Verify(code, ks, inWin)
		if err == nil && c.TicketID == "" {
			t.Fatal("verified without claims")
		}
		if err == nil && strings.ToUpper(strings.TrimSpace(code)) != good {
			t.Fatalf("a code other than the issued one verified: %q", code)
		}
		KIDOf(code)
	})
}
