package webhook

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// verifiesAt reports whether the delivery's signature header verifies under
// secret, whatever the time (the rig's clock runs days ahead here).
func verifiesAt(g *received, secret string) bool {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return false
	}
	return wh.VerifyIgnoringTimestamp(g.body, g.header) == nil
}

// pinged sends the endpoint a ping and returns what the receiver got.
func (r *rig) pinged(endpointID string) *received {
	r.t.Helper()
	if _, err := r.svc.Ping(r.ctx, endpointID); err != nil {
		r.t.Fatal(err)
	}
	r.settle()
	got := r.received()
	if len(got) == 0 {
		r.t.Fatal("the ping did not arrive")
	}
	return got[len(got)-1]
}

func (r *rig) rotate(endpointID string) string {
	r.t.Helper()
	e, err := r.svc.RotateSecret(r.ctx, endpointID)
	if err != nil {
		r.t.Fatal(err)
	}
	return e.Secret
}

// wantSigned fails the test unless the delivery verifies under exactly the
// secrets of want among all, and carries one signature per secret wanted.
func wantSigned(t *testing.T, name string, g *received, all []string, want ...int) {
	t.Helper()
	if n := len(strings.Fields(g.header.Get("webhook-signature"))); n != len(want) {
		t.Errorf("%s: %d signatures, want %d", name, n, len(want))
	}
	for i, s := range all {
		wanted := false
		for _, w := range want {
			wanted = wanted || w == i
		}
		if got := verifiesAt(g, s); got != wanted {
			t.Errorf("%s: verifies under secret %d: %v, want %v", name, i, got, wanted)
		}
	}
}

// Every secret rotated out in the last 24 hours keeps signing beside the
// current one, each for 24 hours from its own rotation, so rotating twice
// in a day does not cut off a receiver still on the first secret; at most
// three are kept, the oldest dropped first.
func TestEverySecretRotatedOutInADaySigns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		e := r.create(Input{URL: ptr(r.receiver.URL)})
		secrets := []string{e.Secret}
		start := r.svc.Now()
		secrets = append(secrets, r.rotate(e.ID))
		r.advance(time.Hour)
		secrets = append(secrets, r.rotate(e.ID))
		wantSigned(t, "after two rotations an hour apart", r.pinged(e.ID), secrets, 2, 1, 0)

		r.clock.Store(start.Add(rotationGrace + time.Minute).UnixNano())
		wantSigned(t, "a day after the first rotation", r.pinged(e.ID), secrets, 2, 1)
		r.clock.Store(start.Add(time.Hour + rotationGrace + time.Minute).UnixNano())
		wantSigned(t, "a day after the second rotation", r.pinged(e.ID), secrets, 2)

		// Five rotations in a row: the current secret and three before it.
		for range 5 {
			r.advance(time.Minute)
			secrets = append(secrets, r.rotate(e.ID))
		}
		n := len(secrets)
		wantSigned(t, "after five rotations", r.pinged(e.ID), secrets, n-1, n-2, n-3, n-4)
	})
}

// With a secrets key every secret rotated out is stored sealed like the
// current one; those stored before the key are sealed at start-up
// (SealSecrets), and sign as before either way.
func TestRotatedSecretsAreStoredSealed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		ctx := context.Background()
		cfg := dbtest.Config(t, d)
		plain, err := db.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		closed := false
		t.Cleanup(func() {
			if !closed {
				plain.Close()
			}
		})
		if err := plain.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		before := newRigOn(t, plain)
		e := before.create(Input{URL: ptr(before.receiver.URL)})
		secrets := []string{e.Secret, before.rotate(e.ID), before.rotate(e.ID)}
		stored := func(conn *db.DB) (secret, previous []byte) {
			t.Helper()
			var row struct {
				Secret   []byte `db:"secret"`
				Previous []byte `db:"previous_secret"`
			}
			if err := conn.Read(before.ctx, func(tx *db.Tx) error {
				return tx.Get(&row, `SELECT secret, previous_secret FROM webhook_endpoints WHERE tenant_id = @tenant AND id = ?`, e.ID)
			}); err != nil {
				t.Fatal(err)
			}
			return row.Secret, row.Previous
		}
		if _, previous := stored(plain); db.IsSealed(previous) || !bytes.Contains(previous, []byte(secrets[0])) {
			t.Fatal("without a key the previous secrets are not stored as they are")
		}
		closed = true
		if err := plain.Close(); err != nil {
			t.Fatal(err)
		}

		// The installation starts again with a secrets key.
		cfg.SecretsKey = bytes.Repeat([]byte{9}, db.SecretsKeySize)
		sealed, err := db.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sealed.Close() })
		r := newRigOn(t, sealed)
		r.ctx = before.ctx // the endpoint's tenant
		if n, err := r.svc.SealSecrets(ctx); err != nil || n != 2 {
			t.Fatalf("sealed %d secrets (%v), want the current one and the previous ones", n, err)
		}
		checkSealed := func(name string) {
			t.Helper()
			secret, previous := stored(sealed)
			if !db.IsSealed(secret) || !db.IsSealed(previous) {
				t.Fatalf("%s: secret sealed %v, previous secrets sealed %v", name, db.IsSealed(secret), db.IsSealed(previous))
			}
			for i, s := range secrets {
				if bytes.Contains(previous, []byte(s)) || bytes.Contains(secret, []byte(s)) {
					t.Errorf("%s: secret %d is stored readable", name, i)
				}
			}
		}
		checkSealed("sealed at start-up")
		if _, err := r.svc.Update(r.ctx, e.ID, Input{URL: ptr(r.receiver.URL)}); err != nil {
			t.Fatal(err)
		}
		wantSigned(t, "sealed at start-up", r.pinged(e.ID), secrets, 2, 1, 0)

		r.advance(time.Hour)
		secrets = append(secrets, r.rotate(e.ID))
		checkSealed("rotated with the key")
		wantSigned(t, "rotated with the key", r.pinged(e.ID), secrets, 3, 2, 1, 0)
	})
}

// An endpoint rotated by an earlier build holds one previous secret as
// itself: it keeps signing until its time is up, and a new rotation keeps
// it beside the secret it replaces.
func TestAPreviousSecretOfAnEarlierBuildSigns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		e := r.create(Input{URL: ptr(r.receiver.URL)})
		old := newSecret()
		start := r.svc.Now()
		if err := r.conn.Write(r.ctx, func(tx *db.Tx) error {
			return tx.ExecOne(`UPDATE webhook_endpoints SET previous_secret = ?, previous_until = ? WHERE tenant_id = @tenant AND id = ?`,
				[]byte(old), start.Add(2*time.Hour), e.ID)
		}); err != nil {
			t.Fatal(err)
		}
		secrets := []string{old, e.Secret}
		wantSigned(t, "an earlier build's rotation", r.pinged(e.ID), secrets, 1, 0)
		secrets = append(secrets, r.rotate(e.ID))
		wantSigned(t, "rotated again", r.pinged(e.ID), secrets, 2, 1, 0)
		r.clock.Store(start.Add(2*time.Hour + time.Minute).UnixNano())
		wantSigned(t, "past the earlier build's grace", r.pinged(e.ID), secrets, 2, 1)
	})
}

// Rotations at the same time each keep the secret they replace: none is
// lost between one's read and another's write.
func TestRotationsAtOnceKeepEverySecret(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		e := r.create(Input{URL: ptr(r.receiver.URL)})
		secrets := []string{e.Secret}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range maxPrevious {
			wg.Go(func() {
				s, err := r.svc.RotateSecret(r.ctx, e.ID)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				secrets = append(secrets, s.Secret)
				mu.Unlock()
			})
		}
		wg.Wait()
		g := r.pinged(e.ID)
		for i, s := range secrets {
			if !verifiesAt(g, s) {
				t.Errorf("secret %d of %d does not sign after rotations at once", i, len(secrets))
			}
		}
	})
}
