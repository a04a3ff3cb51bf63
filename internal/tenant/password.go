package tenant

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/usher-events/usher/internal/fault"
)

// argon2id parameters (OWASP's minimum recommendation: 19 MiB, 2 passes).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// hashPassword returns an argon2id hash in the PHC string format.
func hashPassword(password string) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// checkPassword reports whether password matches a hash made by
// hashPassword, with the parameters stored in the hash.
func checkPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("password hash: not argon2id")
	}
	var version int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil {
		return false, fmt.Errorf("password hash: %w", err)
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, fmt.Errorf("password hash: %w", err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("password hash: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("password hash: %w", err)
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when an account does not exist, so that a
// login for an unknown email takes as long as one for a known email.
var dummyHash = hashPassword("usher-dummy-password-for-timing")

// commonPasswords are refused outright; attackers try these first.
var commonPasswords = map[string]bool{
	"password": true, "password1": true, "password123": true, "passw0rd": true, "12345678": true,
	"123456789": true, "1234567890": true, "qwerty123": true, "qwertyuiop": true, "11111111": true,
	"iloveyou": true, "abcd1234": true, "admin123": true, "welcome1": true, "letmein1": true,
	"sunshine": true, "football": true, "baseball": true, "00000000": true, "asdfghjkl": true,
	"1q2w3e4r": true, "qwer1234": true, "princess": true, "superman": true, "trustno1": true,
}

// checkStrength returns a weak_password error explaining what is wrong.
func checkStrength(password, email string) error {
	n := utf8.RuneCountInString(password)
	distinct := map[rune]bool{}
	for _, r := range password {
		distinct[r] = true
	}
	local, _, _ := strings.Cut(strings.ToLower(email), "@")
	var why string
	switch {
	case n < 8:
		why = "must be at least 8 characters"
	case len(password) > 256:
		why = "must be at most 256 bytes"
	case len(distinct) < 4:
		why = "must use at least 4 different characters"
	case commonPasswords[strings.ToLower(password)]:
		why = "is too common"
	case local != "" && (strings.EqualFold(password, local) || strings.EqualFold(password, email)):
		why = "must not be the email address"
	default:
		return nil
	}
	return &fault.Error{Code: fault.WeakPassword, Message: "the password " + why,
		Fields: []fault.FieldError{{Field: "password", Message: why}}}
}
