package waitroom

import (
	"context"
	"sync"
)

// store keeps the rooms' shared state: arrivals, the client → token map,
// the frontier state and completions. One node uses memory; a cluster uses
// Redis. The frontier arithmetic is the same for both (state.advance); the
// store only makes each step atomic.
type store interface {
	// join gives the client's arrival a sequence number, or returns the
	// token it already has.
	join(ctx context.Context, eventID, client string, pre bool, issue func(seq int64) string) (token string, err error)
	// counts returns the arrivals so far.
	counts(ctx context.Context, eventID string) (counts, error)
	// update runs fn on the room's state atomically and returns the result.
	update(ctx context.Context, eventID string, fn func(*state, func(since int64) int64)) (state, error)
	// read returns the room's state without changing it.
	read(ctx context.Context, eventID string) (state, error)
	// complete frees the slot of a token admitted at the time (unix ms).
	complete(ctx context.Context, eventID string, admittedAt int64, rankKey string) error
	// finished reports whether the token of the rank completed.
	finished(ctx context.Context, eventID, rankKey string) (bool, error)
	// config returns the room's configuration, and false when the store
	// has none (then the database is asked once).
	config(ctx context.Context, eventID string) (Config, bool, error)
	// setConfig shares a configuration with every node.
	setConfig(ctx context.Context, eventID string, c Config) error
}

// memoryStore is the store of a single node.
type memoryStore struct {
	mu    sync.Mutex
	rooms map[string]*memRoom
}

type memRoom struct {
	counts  counts
	clients map[string]string
	st      state
	// done counts completed tokens by admission second.
	done     map[int64]int64
	finished map[string]bool
	cfg      Config
	hasCfg   bool
}

func newMemoryStore() *memoryStore { return &memoryStore{rooms: map[string]*memRoom{}} }

func (m *memoryStore) room(eventID string) *memRoom {
	r := m.rooms[eventID]
	if r == nil {
		r = &memRoom{clients: map[string]string{}, done: map[int64]int64{}, finished: map[string]bool{}}
		m.rooms[eventID] = r
	}
	return r
}

func (m *memoryStore) join(_ context.Context, eventID, client string, pre bool, issue func(int64) string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.room(eventID)
	if t, ok := r.clients[client]; ok && client != "" {
		return t, nil
	}
	var seq int64
	if pre {
		r.counts.Pre++
		seq = r.counts.Pre
	} else {
		r.counts.Post++
		seq = r.counts.Post
	}
	t := issue(seq)
	if client != "" {
		r.clients[client] = t
	}
	return t, nil
}

func (m *memoryStore) counts(_ context.Context, eventID string) (counts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.room(eventID).counts, nil
}

func (m *memoryStore) update(_ context.Context, eventID string, fn func(*state, func(int64) int64)) (state, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.room(eventID)
	fn(&r.st, func(since int64) int64 { return sumSince(r.done, since) })
	return r.st.clone(), nil
}

func (m *memoryStore) read(_ context.Context, eventID string) (state, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.room(eventID).st.clone(), nil
}

func (m *memoryStore) complete(_ context.Context, eventID string, admittedAt int64, rankKey string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.room(eventID)
	if r.finished[rankKey] {
		return nil
	}
	r.finished[rankKey] = true
	r.done[admittedAt/1000]++
	return nil
}

func (m *memoryStore) finished(_ context.Context, eventID, rankKey string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.room(eventID).finished[rankKey], nil
}

func (m *memoryStore) config(_ context.Context, eventID string) (Config, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rooms[eventID] // a lookup makes no room: any id may be asked for
	if r == nil {
		return Config{}, false, nil
	}
	return r.cfg, r.hasCfg, nil
}

func (m *memoryStore) setConfig(_ context.Context, eventID string, c Config) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.room(eventID)
	r.cfg, r.hasCfg = c, true
	return nil
}

// sumSince adds the completions of tokens admitted at or after since (unix
// ms), dropping older buckets on the way.
func sumSince(done map[int64]int64, since int64) int64 {
	var n int64
	for sec, c := range done {
		if sec*1000 >= since-999 {
			n += c
		} else if sec*1000 < since-3600_000 {
			delete(done, sec)
		}
	}
	return n
}

func (s state) clone() state {
	s.History = append([]sample(nil), s.History...)
	return s
}
