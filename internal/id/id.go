// Package id makes Usher's opaque identifiers: a type prefix and a
// time-ordered, random body, such as "evt_01jd7k3m9q8r2s4t6v8w0x2y4z".
package id

import (
	"crypto/rand"
	"encoding/base32"
	"strings"

	"github.com/google/uuid"
)

// encoding is lower-case Crockford base32, which sorts like the bytes it encodes.
var encoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// Prefixes of the identifiers, one per kind of object.
const (
	Tenant      = "ten"
	User        = "usr"
	APIKey      = "key"
	Event       = "evt"
	Audit       = "aud"
	Session     = "ses"
	TokenFamily = "fam"
	Invite      = "inv"
)

// New returns a new identifier with the prefix, ordered by creation time.
func New(prefix string) string {
	u := uuid.Must(uuid.NewV7())
	return prefix + "_" + encoding.EncodeToString(u[:])
}

// Valid reports whether s looks like an identifier with the prefix.
func Valid(s, prefix string) bool {
	body, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(body) != 26 {
		return false
	}
	_, err := encoding.DecodeString(body)
	return err == nil
}

// Secret returns a random string of n bytes of entropy, base32 encoded, for
// API keys, refresh tokens and other bearer secrets.
func Secret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return encoding.EncodeToString(b)
}
