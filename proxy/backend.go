package proxy

import (
	"context"
	"sync"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/runner"
)

// cachedBackend is the runner's backend: the upstream client, with the
// descriptions a run asks for before it starts (version, show, list)
// reused for a while, so that a proxied request costs the server no more
// than the generation itself. Only successes are cached.
type cachedBackend struct {
	*api.Client
	ttl time.Duration

	mu      sync.Mutex
	version entry[string]
	list    entry[*api.ListResponse]
	shows   map[string]entry[*api.ShowResponse]
}

type entry[T any] struct {
	v  T
	at time.Time
}

var (
	_ runner.Backend = (*cachedBackend)(nil)
	_ runner.Lister  = (*cachedBackend)(nil)
)

func newCachedBackend(c *api.Client, ttl time.Duration) *cachedBackend {
	return &cachedBackend{Client: c, ttl: ttl, shows: map[string]entry[*api.ShowResponse]{}}
}

func (b *cachedBackend) fresh(at time.Time) bool {
	return b.ttl > 0 && !at.IsZero() && time.Since(at) < b.ttl
}

// clear forgets everything, after a request that changes the models.
func (b *cachedBackend) clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.version, b.list = entry[string]{}, entry[*api.ListResponse]{}
	clear(b.shows)
}

func (b *cachedBackend) Version(ctx context.Context) (string, error) {
	b.mu.Lock()
	e := b.version
	b.mu.Unlock()
	if b.fresh(e.at) {
		return e.v, nil
	}
	v, err := b.Client.Version(ctx)
	if err == nil {
		b.mu.Lock()
		b.version = entry[string]{v, time.Now()}
		b.mu.Unlock()
	}
	return v, err
}

func (b *cachedBackend) List(ctx context.Context) (*api.ListResponse, error) {
	b.mu.Lock()
	e := b.list
	b.mu.Unlock()
	if b.fresh(e.at) {
		return e.v, nil
	}
	v, err := b.Client.List(ctx)
	if err == nil {
		b.mu.Lock()
		b.list = entry[*api.ListResponse]{v, time.Now()}
		b.mu.Unlock()
	}
	return v, err
}

// Show caches plain requests by model name; the runner treats the answer
// as read-only.
func (b *cachedBackend) Show(ctx context.Context, req *api.ShowRequest) (*api.ShowResponse, error) {
	plain := !req.Verbose && req.System == "" && req.Template == "" && len(req.Options) == 0
	key := req.Model
	if key == "" {
		key = req.Name
	}
	if plain {
		b.mu.Lock()
		e, ok := b.shows[key]
		b.mu.Unlock()
		if ok && b.fresh(e.at) {
			return e.v, nil
		}
	}
	v, err := b.Client.Show(ctx, req)
	if err == nil && plain && b.ttl > 0 {
		b.mu.Lock()
		if len(b.shows) > 256 {
			clear(b.shows)
		}
		b.shows[key] = entry[*api.ShowResponse]{v, time.Now()}
		b.mu.Unlock()
	}
	return v, err
}
