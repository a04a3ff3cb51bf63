package waitroom

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"io"
	"math/bits"
	"strconv"
	"strings"
	"sync"
)

// Token is what a queue token says: the room, the arrival's sequence number
// and whether it arrived before the opening.
type Token struct {
	EventID string
	Seq     int64
	Pre     bool
	// Joined is when the arrival joined (unix seconds).
	Joined int64
}

const tokenVersion = "q1"

var errBadToken = errors.New("waitroom: token is malformed or its signature does not match")

// signer makes and checks queue tokens with an installation-wide key, so any
// node can check a token another node issued.
type signer struct {
	// macs are keyed HMAC states for reuse: setting one up costs as much
	// as the rest of a status check.
	macs *sync.Pool
}

func newSigner(key []byte) signer {
	return signer{macs: &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

func (s signer) sign(t Token) string {
	pre := "0"
	if t.Pre {
		pre = "1"
	}
	body := tokenVersion + "." + t.EventID + "." + strconv.FormatInt(t.Seq, 36) + "." + pre + "." + strconv.FormatInt(t.Joined, 36)
	return body + "." + s.mac(body)
}

func (s signer) mac(body string) string {
	m := s.macs.Get().(hash.Hash)
	m.Reset()
	io.WriteString(m, body)
	var sum [sha256.Size]byte
	out := base64.RawURLEncoding.EncodeToString(m.Sum(sum[:0])[:16])
	s.macs.Put(m)
	return out
}

func (s signer) parse(raw string) (Token, error) {
	if len(raw) > 200 {
		return Token{}, errBadToken
	}
	i := strings.LastIndexByte(raw, '.')
	if i < 0 {
		return Token{}, errBadToken
	}
	body, mac := raw[:i], raw[i+1:]
	if !hmac.Equal([]byte(mac), []byte(s.mac(body))) {
		return Token{}, errBadToken
	}
	parts := strings.Split(body, ".")
	if len(parts) != 5 || parts[0] != tokenVersion {
		return Token{}, errBadToken
	}
	seq, err1 := strconv.ParseInt(parts[2], 36, 64)
	joined, err2 := strconv.ParseInt(parts[4], 36, 64)
	if err1 != nil || err2 != nil || seq < 1 || (parts[3] != "0" && parts[3] != "1") {
		return Token{}, errBadToken
	}
	return Token{EventID: parts[1], Seq: seq, Pre: parts[3] == "1", Joined: joined}, nil
}

// permutation shuffles the pre-opening arrivals of one room: a keyed Feistel
// network over the smallest even power of two covering n, walked in cycles
// until the result falls inside [0, n). Every arrival gets a distinct place
// and nobody can predict or choose theirs without the key.
type permutation struct{ key []byte }

func (p permutation) at(x, n int64) int64 {
	if n <= 1 {
		return 0
	}
	b := bits.Len64(uint64(n - 1))
	if b%2 == 1 {
		b++
	}
	half := uint(b / 2)
	mask := uint64(1)<<half - 1
	v := uint64(x)
	for {
		l, r := v>>half, v&mask
		for round := byte(0); round < 4; round++ {
			l, r = r, l^(p.round(round, r)&mask)
		}
		v = l<<half | r
		if int64(v) < n {
			return int64(v)
		}
	}
}

func (p permutation) round(round byte, x uint64) uint64 {
	m := hmac.New(sha256.New, p.key)
	var buf [9]byte
	buf[0] = round
	binary.BigEndian.PutUint64(buf[1:], x)
	m.Write(buf[:])
	return binary.BigEndian.Uint64(m.Sum(nil)[:8])
}
