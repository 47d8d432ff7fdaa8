package runner

// What a run asks the server before its first pass: the server's version,
// the model's digest and its description (/api/show). A user pays for
// these before the first token, so the process keeps what does not change
// for a model and a server: the version for a while (a server may be
// upgraded under a long-lived proxy), the description for as long as the
// model's digest stays the same. The lookups that remain go out together.

import (
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/models"
)

// versionTTL is how long the process reuses a server's version.
const versionTTL = time.Minute

// maxCachedShows bounds the descriptions the process keeps.
const maxCachedShows = 64

type showKey struct {
	b             Backend
	model, digest string
}

type versionEntry struct {
	caps models.ServerCaps
	at   time.Time
}

var described = struct {
	sync.Mutex
	versions map[Backend]versionEntry
	shows    map[showKey]*api.ShowResponse
}{versions: map[Backend]versionEntry{}, shows: map[showKey]*api.ShowResponse{}}

// cacheable reports whether b can key the process cache: a backend of a
// type that Go cannot compare (a struct holding a func) is asked each time.
func cacheable(b Backend) bool {
	return b != nil && reflect.ValueOf(b).Comparable()
}

// description is what describe finds.
type description struct {
	caps   models.ServerCaps
	verr   error // reading the version failed
	show   *api.ShowResponse
	err    error // the show failed
	digest string
}

// describe reads the server's version (serverCaps), the model's digest
// (when the backend lists models) and its description, reusing what the
// process already knows and sending the rest at once.
func (r *Runner) describe(ctx context.Context, model string) description {
	b := r.Backend
	var d description
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.caps, d.verr = r.serverCaps(ctx)
	}()
	// The description of the digest the process saw last; a request for
	// it goes out at once when there is none.
	var showDone chan struct{}
	startShow := func() {
		showDone = make(chan struct{})
		go func() {
			defer close(showDone)
			d.show, d.err = b.Show(ctx, &api.ShowRequest{Model: model})
		}()
	}
	l, lists := b.(Lister)
	if !lists || !cacheable(b) || !r.knows(model) {
		startShow()
	}
	if lists {
		d.digest = modelDigest(ctx, l, model)
	}
	if showDone == nil {
		if s := r.cachedShow(model, d.digest); s != nil {
			d.show = s
		} else {
			startShow()
		}
	}
	if showDone != nil {
		<-showDone
		if d.err == nil && d.digest != "" && cacheable(b) {
			r.keepShow(model, d.digest, d.show)
		}
	}
	wg.Wait()
	return d
}

// knows reports whether the process holds a description of model on this
// runner's server, whatever its digest.
func (r *Runner) knows(model string) bool {
	described.Lock()
	defer described.Unlock()
	for k := range described.shows {
		if k.b == r.Backend && k.model == model {
			return true
		}
	}
	return false
}

func (r *Runner) cachedShow(model, digest string) *api.ShowResponse {
	if digest == "" {
		return nil
	}
	described.Lock()
	defer described.Unlock()
	return described.shows[showKey{r.Backend, model, digest}]
}

func (r *Runner) keepShow(model, digest string, s *api.ShowResponse) {
	described.Lock()
	defer described.Unlock()
	for k := range described.shows {
		if k.b == r.Backend && k.model == model {
			delete(described.shows, k) // an older digest of the model
		}
	}
	if len(described.shows) >= maxCachedShows {
		clear(described.shows)
	}
	described.shows[showKey{r.Backend, model, digest}] = s
}

// serverCaps reads the server's version and looks up what that version
// can do (models.CapsFor): once per Runner, and once a minute per backend
// for the process. A failed read is tried again on the next run.
func (r *Runner) serverCaps(ctx context.Context) (models.ServerCaps, error) {
	r.capsMu.Lock()
	defer r.capsMu.Unlock()
	if r.caps != nil {
		return *r.caps, nil
	}
	b := r.Backend
	keyed := cacheable(b)
	if keyed {
		described.Lock()
		e, ok := described.versions[b]
		described.Unlock()
		if ok && time.Since(e.at) < versionTTL {
			c := e.caps
			r.caps = &c
			return c, nil
		}
	}
	v, err := b.Version(ctx)
	if err != nil {
		return models.CapsFor(""), err
	}
	c := models.CapsFor(v)
	r.caps = &c
	if keyed {
		described.Lock()
		if len(described.versions) >= maxCachedShows {
			clear(described.versions)
		}
		described.versions[b] = versionEntry{c, time.Now()}
		described.Unlock()
	}
	return c, nil
}
