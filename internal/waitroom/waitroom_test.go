package waitroom

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type anyEvent struct{}

func (anyEvent) Exists(context.Context, string) error { return nil }

// eachStore runs fn with the in-process store and, when USHER_TEST_REDIS_URL
// is set, the Redis store.
func eachStore(t *testing.T, fn func(t *testing.T, s *Service, c *clock)) {
	kinds := []string{"memory"}
	if dbtest.RedisURL() != "" {
		kinds = append(kinds, "redis")
	}
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			conn := dbtest.Open(t, db.SQLite)
			c := &clock{t: time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)}
			d := Deps{DB: conn, Events: anyEvent{}, Now: c.now}
			if kind == "redis" {
				opt, err := redis.ParseURL(dbtest.RedisURL())
				if err != nil {
					t.Fatal(err)
				}
				d.Redis = redis.NewClient(opt)
				t.Cleanup(func() { d.Redis.Close() })
			}
			s, err := NewService(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			fn(t, s, c)
		})
	}
}

// room returns a fresh event id (Redis keys are shared between runs).
func room(t *testing.T) string { return fmt.Sprintf("evt_%s_%d", t.Name(), time.Now().UnixNano()) }

func configure(t *testing.T, s *Service, ev string, c Config) {
	t.Helper()
	if _, err := s.Configure(db.WithTenant(context.Background(), "ten_test"), ev, c); err != nil {
		t.Fatal(err)
	}
}

func TestAdmissionByRateAndSlots(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Service, c *clock) {
		ctx := context.Background()
		ev := room(t)
		configure(t, s, ev, Config{Enabled: true, AdmitPerMinute: 60, MaxActive: 5, ActiveTTL: 120, OpensAt: c.now()})
		var tokens []string
		for i := 0; i < 20; i++ {
			st, err := s.Join(ctx, ev, fmt.Sprintf("client-%d", i))
			if err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, st.Token)
		}
		active := func() (n int, positions []int64) {
			for _, tok := range tokens {
				st, err := s.Status(ctx, tok)
				if err != nil {
					t.Fatal(err)
				}
				if st.Status == StatusActive {
					n++
				} else {
					positions = append(positions, st.Position)
				}
			}
			return n, positions
		}
		// At the opening: one admitted.
		if n, pos := active(); n != 1 || pos[0] != 1 || pos[len(pos)-1] != 19 {
			t.Fatalf("at opening: %d active, positions %v", n, pos)
		}
		// The rate admits one a second, but only 5 slots exist.
		c.add(3 * time.Second)
		if n, _ := active(); n != 4 {
			t.Fatalf("after 3s: %d active, want 4", n)
		}
		c.add(30 * time.Second)
		if n, _ := active(); n != 5 {
			t.Fatalf("after 33s: %d active, want 5 (max_active)", n)
		}
		// A finished purchase frees its slot for the next in line.
		if err := s.Complete(ctx, tokens[0]); err != nil {
			t.Fatal(err)
		}
		if err := s.Complete(ctx, tokens[0]); err != nil { // twice counts once
			t.Fatal(err)
		}
		c.add(time.Second)
		if st, _ := s.Status(ctx, tokens[0]); st.Status != StatusExpired {
			t.Fatalf("a completed token is %s, want expired", st.Status)
		}
		if n, _ := active(); n != 5 {
			t.Fatalf("after a completion: %d active, want 5 (4 + the next one)", n)
		}
		st, _ := s.Status(ctx, tokens[5])
		if st.Status != StatusActive {
			t.Fatalf("the 6th arrival is %s, want active after a slot was freed", st.Status)
		}
		// Active tokens expire after the TTL, freeing their slots without
		// anyone having run anything in between.
		c.add(121 * time.Second)
		st, _ = s.Status(ctx, tokens[1])
		if st.Status != StatusExpired {
			t.Fatalf("token 1 after its TTL: %s", st.Status)
		}
		n, _ := active()
		if n != 5 {
			t.Fatalf("after expiry: %d active, want 5 new ones", n)
		}
		// Joining again returns the same token.
		again, err := s.Join(ctx, ev, "client-3")
		if err != nil || again.Token != tokens[3] {
			t.Fatalf("rejoin gave another token: %v", err)
		}
	})
}

func TestPreOpeningShuffle(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Service, c *clock) {
		ctx := context.Background()
		ev := room(t)
		opens := c.now().Add(10 * time.Minute)
		configure(t, s, ev, Config{Enabled: true, AdmitPerMinute: 6000, MaxActive: 1000, ActiveTTL: 600, OpensAt: opens})
		const early = 50
		var tokens []string
		for i := 0; i < early; i++ {
			st, err := s.Join(ctx, ev, fmt.Sprintf("early-%d", i))
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != StatusWaiting || st.OpensAt == nil || st.ETASeconds != 600 {
				t.Fatalf("before opening: %+v", st)
			}
			tokens = append(tokens, st.Token)
		}
		c.add(10 * time.Minute)
		late, err := s.Join(ctx, ev, "late")
		if err != nil {
			t.Fatal(err)
		}
		// Every early arrival gets a distinct place among the first 50, not
		// in arrival order; the late one comes after all of them.
		places := make([]int64, early)
		for i, tok := range tokens {
			st, err := s.Status(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status == StatusActive {
				places[i] = 0
			} else {
				places[i] = st.Position
			}
		}
		sorted := append([]int64(nil), places...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
		for i := 1; i < len(sorted); i++ {
			if sorted[i] == sorted[i-1] {
				t.Fatalf("two early arrivals share place %d: %v", sorted[i], places)
			}
		}
		inOrder := true
		for i := 1; i < early; i++ {
			if places[i] < places[i-1] {
				inOrder = false
			}
		}
		if inOrder {
			t.Fatalf("early arrivals kept their arrival order: %v", places)
		}
		if late.Position != early {
			t.Fatalf("late arrival's position = %d, want %d (behind every early one)", late.Position, early)
		}
	})
}

func TestTokensAndOrdersGate(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Service, c *clock) {
		ctx := context.Background()
		ev := room(t)
		configure(t, s, ev, Config{Enabled: true, AdmitPerMinute: 1, MaxActive: 1, ActiveTTL: 60, OpensAt: c.now()})
		first, _ := s.Join(ctx, ev, "a")
		second, _ := s.Join(ctx, ev, "b")
		if err := s.CheckActive(ctx, ev, first.Token); err != nil {
			t.Fatalf("active token refused: %v", err)
		}
		tampered := first.Token[:len(first.Token)-2] + "xx"
		if tampered == first.Token {
			tampered = first.Token[:len(first.Token)-2] + "yy"
		}
		for name, tt := range map[string]struct {
			token string
			code  fault.Code
		}{
			"missing":   {"", fault.QueueTokenRequired},
			"waiting":   {second.Token, fault.QueueTokenInvalid},
			"tampered":  {tampered, fault.QueueTokenInvalid},
			"garbage":   {"nonsense", fault.QueueTokenInvalid},
			"other evt": {first.Token, fault.QueueTokenInvalid},
		} {
			target := ev
			if name == "other evt" {
				target = room(t)
				configure(t, s, target, Config{Enabled: true, AdmitPerMinute: 1, MaxActive: 1, ActiveTTL: 60, OpensAt: c.now()})
			}
			if err := s.CheckActive(ctx, target, tt.token); !fault.Is(err, tt.code) {
				t.Errorf("%s: err = %v, want %s", name, err, tt.code)
			}
		}
		if _, err := s.Status(ctx, "q1.evt.1.0.0.forged"); !fault.Is(err, fault.NotFound) {
			t.Fatalf("forged token status: %v", err)
		}
		// A room that is off lets orders through.
		configure(t, s, ev, Config{Enabled: false, AdmitPerMinute: 1, MaxActive: 1, ActiveTTL: 60})
		if err := s.CheckActive(ctx, ev, ""); err != nil {
			t.Fatalf("room off: %v", err)
		}
	})
}

// TestStatusWithoutDatabase shows that status checks never touch the
// database: they keep answering after it is closed.
func TestStatusWithoutDatabase(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Service, c *clock) {
		ctx := context.Background()
		ev := room(t)
		configure(t, s, ev, Config{Enabled: true, AdmitPerMinute: 60, MaxActive: 10, ActiveTTL: 60, OpensAt: c.now()})
		tok, _ := s.Join(ctx, ev, "x")
		other, _ := s.Join(ctx, ev, "y")
		s.db.Close()
		for i := 0; i < 5; i++ {
			c.add(time.Second)
			if _, err := s.Status(ctx, tok.Token); err != nil {
				t.Fatalf("status with the database closed: %v", err)
			}
			if _, err := s.Status(ctx, other.Token); err != nil {
				t.Fatalf("status with the database closed: %v", err)
			}
		}
	})
}

func TestPermutationIsABijection(t *testing.T) {
	t.Parallel()
	p := permutation{key: []byte("k")}
	for _, n := range []int64{1, 2, 3, 7, 64, 100, 1000} {
		seen := map[int64]bool{}
		for x := int64(0); x < n; x++ {
			y := p.at(x, n)
			if y < 0 || y >= n || seen[y] {
				t.Fatalf("n=%d: p(%d) = %d (seen %v)", n, x, y, seen[y])
			}
			seen[y] = true
		}
	}
}

func FuzzTokenParse(f *testing.F) {
	s := newSigner([]byte("fuzz key"))
	f.Add(s.sign(Token{EventID: "evt_1", Seq: 5, Joined: 100}))
	f.Add("q1....")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := s.parse(raw)
		if err == nil && s.sign(tok) != raw {
			t.Fatalf("accepted %q which does not re-sign to itself", raw)
		}
	})
}

// TestAdmittedStatusAcrossNodes: on two nodes sharing Redis, an admitted
// buyer's status checks are answered from the node's copy (they go on with
// that node's Redis connection closed), a slot finished on the other node
// shows as expired there within advanceEvery, and the gate in front of
// orders sees it at once.
func TestAdmittedStatusAcrossNodes(t *testing.T) {
	if dbtest.RedisURL() == "" {
		t.Skip("needs USHER_TEST_REDIS_URL")
	}
	ctx := context.Background()
	conn := dbtest.Open(t, db.SQLite)
	c := &clock{t: time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)}
	node := func() (*Service, *redis.Client) {
		opt, err := redis.ParseURL(dbtest.RedisURL())
		if err != nil {
			t.Fatal(err)
		}
		rdb := redis.NewClient(opt)
		t.Cleanup(func() { rdb.Close() })
		s, err := NewService(ctx, Deps{DB: conn, Redis: rdb, Events: anyEvent{}, Now: c.now})
		if err != nil {
			t.Fatal(err)
		}
		return s, rdb
	}
	a, ardb := node()
	b, _ := node()
	ev := room(t)
	configure(t, a, ev, Config{Enabled: true, AdmitPerMinute: 60, MaxActive: 10, ActiveTTL: 600, OpensAt: c.now()})
	tok, err := a.Join(ctx, ev, "buyer")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := a.Status(ctx, tok.Token); err != nil || st.Status != StatusActive {
		t.Fatalf("status on node a: %+v, %v", st, err)
	}
	if err := b.CheckActive(ctx, ev, tok.Token); err != nil {
		t.Fatalf("node b refused the active token: %v", err)
	}

	// The order is done on node b: the gate on node a refuses the token at
	// once, and a's status shows it expired once its copy is renewed.
	if err := b.Complete(ctx, tok.Token); err != nil {
		t.Fatal(err)
	}
	if err := a.CheckActive(ctx, ev, tok.Token); !fault.Is(err, fault.QueueTokenInvalid) {
		t.Fatalf("node a's gate after the slot finished on b: %v", err)
	}
	c.add(advanceEvery)
	if st, err := a.Status(ctx, tok.Token); err != nil || st.Status != StatusExpired {
		t.Fatalf("status on node a after the slot finished on b: %+v, %v", st, err)
	}

	// Another admitted buyer: once node a has answered one check, the next
	// ones within advanceEvery need no Redis at all.
	c.add(advanceEvery)
	other, err := a.Join(ctx, ev, "second")
	if err != nil {
		t.Fatal(err)
	}
	c.add(2 * time.Second) // admitted at 60 a minute
	if st, err := a.Status(ctx, other.Token); err != nil || st.Status != StatusActive {
		t.Fatalf("second buyer: %+v, %v", st, err)
	}
	ardb.Close()
	for range 3 {
		if st, err := a.Status(ctx, other.Token); err != nil || st.Status != StatusActive {
			t.Fatalf("status from node a's copy with its Redis closed: %+v, %v", st, err)
		}
	}
}

// slowStore is a store whose updates wait for a gate and are counted.
type slowStore struct {
	store
	updates atomic.Int64
	gate    chan struct{}
}

func (s *slowStore) update(ctx context.Context, eventID string, fn func(*state, func(int64) int64)) (state, error) {
	s.updates.Add(1)
	<-s.gate
	return s.store.update(ctx, eventID, fn)
}

// TestOneRenewalAtATime: when a room's copy goes stale while many buyers
// poll, one check renews it from the shared store and the others answer
// from the copy meanwhile, instead of each renewing it.
func TestOneRenewalAtATime(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Service, c *clock) {
		ctx := context.Background()
		ev := room(t)
		configure(t, s, ev, Config{Enabled: true, AdmitPerMinute: 60, MaxActive: 10, ActiveTTL: 600, OpensAt: c.now()})
		var toks []string
		for i := range 20 {
			tok, err := s.Join(ctx, ev, fmt.Sprint("buyer", i))
			if err != nil {
				t.Fatal(err)
			}
			toks = append(toks, tok.Token)
		}
		for _, tok := range toks { // every token known to the copy
			if _, err := s.Status(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		slow := &slowStore{store: s.store, gate: make(chan struct{})}
		s.store = slow
		c.add(time.Second) // the copy is stale
		renewing := make(chan error, 1)
		go func() { _, err := s.Status(ctx, toks[0]); renewing <- err }()
		for slow.updates.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		others := make(chan error, 1)
		go func() {
			for _, tok := range toks[1:] {
				if _, err := s.Status(ctx, tok); err != nil {
					others <- err
					return
				}
			}
			others <- nil
		}()
		select {
		case err := <-others:
			if err != nil {
				t.Fatalf("status during the renewal: %v", err)
			}
		case <-time.After(5 * time.Second):
			close(slow.gate)
			t.Fatal("the other checks waited for the renewal")
		}
		close(slow.gate)
		if err := <-renewing; err != nil {
			t.Fatal(err)
		}
		if n := slow.updates.Load(); n != 1 {
			t.Fatalf("%d renewals for 20 checks of a stale copy, want 1", n)
		}
	})
}

// TestUnknownEventsLeaveNothing: joining the queue of an event that does not
// exist is a 404 that leaves nothing behind (no room in the store, no copy
// on the node), however many made-up ids are sent.
func TestUnknownEventsLeaveNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Service, c *clock) {
		ctx := context.Background()
		for i := range 20 {
			ev := fmt.Sprintf("%s_nobody_%d", room(t), i)
			if _, err := s.Join(ctx, ev, "x"); !fault.Is(err, fault.NotFound) {
				t.Fatalf("join of an unknown event: %v", err)
			}
			s.mu.Lock()
			_, cached := s.cache[ev]
			s.mu.Unlock()
			if cached {
				t.Fatalf("the node keeps a copy of unknown room %s", ev)
			}
			switch st := s.store.(type) {
			case *memoryStore:
				st.mu.Lock()
				_, kept := st.rooms[ev]
				st.mu.Unlock()
				if kept {
					t.Fatalf("the memory store keeps unknown room %s", ev)
				}
			case *redisStore:
				n, err := st.rdb.Exists(ctx, rkey(ev, "config"), rkey(ev, "clients"), rkey(ev, "state")).Result()
				if err != nil {
					t.Fatal(err)
				}
				if n != 0 {
					t.Fatalf("Redis keeps %d keys of unknown room %s", n, ev)
				}
			}
		}
	})
}

// TestStreamsAreBounded checks that a node refuses a status stream past
// maxStreams open ones (the page then polls) and takes one again when a
// stream has closed.
func TestStreamsAreBounded(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Service, c *clock) {
		ctx := context.Background()
		ev := room(t)
		configure(t, s, ev, Config{Enabled: true, AdmitPerMinute: 60, MaxActive: 1, ActiveTTL: 60, OpensAt: c.now()})
		s.Join(ctx, ev, "ahead")
		tok, err := s.Join(ctx, ev, "behind")
		if err != nil {
			t.Fatal(err)
		}
		s.streams.Store(maxStreams)
		if _, err := s.HandleEvents(ctx, &TokenPath{Token: tok.Token}); !fault.Is(err, fault.Unavailable) {
			t.Fatalf("stream past the bound: %v, want unavailable", err)
		}
		if n := s.streams.Load(); n != maxStreams {
			t.Fatalf("a refused stream left the count at %d", n)
		}
		s.streams.Store(maxStreams - 1)
		if res, err := s.HandleEvents(ctx, &TokenPath{Token: tok.Token}); err != nil || res.Body == nil {
			t.Fatalf("stream under the bound: %v", err)
		}
	})
}
