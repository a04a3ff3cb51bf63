package webhook

import (
	"net/netip"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
)

// The address guard knows the ranges beyond private, loopback and
// link-local that lead inside (NAT64 and 6to4 addresses are judged by the
// IPv4 address they carry), and lets the open Internet through.
func TestAddressGuardRanges(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8":              true,
		"2606:4700::1111":      true,
		"64:ff9b::808:808":     true, // NAT64 of 8.8.8.8
		"2002:808:808::1":      true, // 6to4 of 8.8.8.8
		"127.0.0.1":            false,
		"10.1.2.3":             false,
		"100.64.0.1":           false,
		"169.254.169.254":      false,
		"::ffff:10.0.0.1":      false,
		"0.1.2.3":              false,
		"192.0.0.8":            false,
		"198.18.0.1":           false,
		"240.0.0.1":            false,
		"255.255.255.255":      false,
		"::7f00:1":             false, // IPv4-compatible 127.0.0.1
		"64:ff9b::7f00:1":      false, // NAT64 of 127.0.0.1
		"64:ff9b::a9fe:a9fe":   false, // NAT64 of 169.254.169.254
		"64:ff9b:1::a00:1":     false, // NAT64 inside one network
		"2002:a00:1::1":        false, // 6to4 of 10.0.0.1
		"2002:7f00:1::1":       false, // 6to4 of 127.0.0.1
		"fec0::1":              false,
		"fec0::1%eth0":         false,
		"64:ff9b::7f00:1%eth0": false,
		"fe80::1%eth0":         false,
		"fd00::1":              false,
		"fe80::1":              false,
		"::1":                  false,
		"::":                   false,
		"ff02::1":              false,
		"2001:db8::1":          true, // documentation, but nothing inside
		"64:ff9b::c000:201":    true, // NAT64 of 192.0.2.1
		"::ffff:8.8.8.8":       true,
		"2002:c000:0201::abcd": true,
	} {
		if got := public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("public(%s) = %v, want %v", addr, got, want)
		}
	}
}

// A URL must name a host and a port that exists; without AllowPrivate, an
// address of the ranges above is refused when the endpoint is saved.
func TestEndpointURLHostAndRanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		strict := NewService(Deps{DB: r.conn, Now: time.Now}, Config{})
		for _, c := range []struct {
			svc  *Service
			url  string
			code fault.Code
		}{
			{r.svc, "http://:8080/hook", fault.Validation},
			{strict, "http://:8080/hook", fault.Validation},
			{r.svc, "https://example.com:99999/", fault.Validation},
			{r.svc, "https://example.com:0/", fault.Validation},
			{strict, "http://[64:ff9b::7f00:1]/", fault.WebhookURLNotAllowed},
			{strict, "http://[2002:a9fe:a9fe::1]/latest/meta-data", fault.WebhookURLNotAllowed},
			{strict, "http://198.18.0.1/", fault.WebhookURLNotAllowed},
			{strict, "http://0.0.0.1/", fault.WebhookURLNotAllowed},
			{strict, "http://[fec0::1]/", fault.WebhookURLNotAllowed},
			{strict, "http://[64:ff9b::a9fe:a9fe%25eth0]/", fault.WebhookURLNotAllowed},
		} {
			if _, err := c.svc.Create(r.ctx, Input{URL: ptr(c.url)}); !fault.Is(err, c.code) {
				t.Errorf("create %s (allow private %v): %v, want %s", c.url, c.svc.cfg.AllowPrivate, err, c.code)
			}
		}
		for _, u := range []string{"https://hooks.example.com:8443/usher", "http://[64:ff9b::808:808]/"} {
			if _, err := strict.Create(r.ctx, Input{URL: ptr(u)}); err != nil {
				t.Errorf("create %s: %v", u, err)
			}
		}
	})
}
