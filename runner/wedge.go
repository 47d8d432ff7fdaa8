package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/ollama/ollama/api"
)

// This file guards against a server bug that rein's cuts run into.
//
// Ollama (0.17.4 and the versions around it, ollama/ollama#17131) streams a
// generation through an unbuffered channel between the goroutine that reads
// the model runner and the HTTP handler. When the client goes away, the
// handler stops reading; if the producer had a token ready at that moment,
// its send blocks forever while it holds the model runner's slot. Every later
// request to that model then waits for the slot, forever, and the server
// logs nothing. rein cuts the thinking by closing the stream, hundreds of
// times in a benchmark, so it meets the race. (On a scripted model it struck
// about one run of `go test ./cmd/rein -run 'Bench|Proxy'` in three.)
//
// The guard: a request that rein (or its caller) abandons mid-stream makes
// the model a suspect. Every request to a suspect model that has no chunk
// yet is watched: after the stall timeout, if /api/ps shows the model
// loaded and not loading, it is cancelled, rein asks the server to unload
// the model (keep_alive 0, which the scheduler carries out once no request
// holds the runner), waits briefly for it to go, and sends the request
// again, at most three times in all, each time waiting twice as long. A finished stream clears
// the suspicion. The cost is one reload when the server did wedge, and
// nothing when it did not.
//
// The guard is a Backend decorator (Guard), one per server; a state file
// keeps its suspects across processes (Attach, SaveGuards).

// DefaultStallTimeout is how long a request to a suspect model may wait for
// its first chunk.
const DefaultStallTimeout = 30 * time.Second

// StallTimeoutFromEnv reads REIN_STALL_TIMEOUT (a Go duration; 0 turns the
// guard off), else DefaultStallTimeout. It is the one place the variable
// is read; GuardOf's guards start with it.
func StallTimeoutFromEnv() time.Duration {
	if v := os.Getenv("REIN_STALL_TIMEOUT"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			if d == 0 {
				return -1
			}
			return max(d, 0)
		}
	}
	return DefaultStallTimeout
}

// Guard is the wedge guard: a Backend decorator, shaped like the proxy's
// caching backend, that holds one server's suspects and watches every
// streaming request to a suspect model. Every Runner whose Backend is the
// same value shares one Guard (GuardOf), so suspects are kept per server,
// not per process.
type Guard struct {
	Backend
	// Host names the server in the state file (Attach).
	Host string
	// Timeout is how long a request to a suspect may wait for its first
	// chunk: 0 means DefaultStallTimeout, a negative value turns the guard
	// off. A Runner's own StallTimeout overrides it for its requests.
	Timeout time.Duration
	// Now is the clock of the suspicions; nil means time.Now.
	Now func() time.Time

	mu       sync.Mutex
	suspects map[string]time.Time // by model name without ":latest"
	changed  map[string]bool      // models marked or cleared here, for Save
	state    string               // the state file Attach named
}

var _ Backend = (*Guard)(nil)

// NewGuard wraps b.
func NewGuard(b Backend) *Guard {
	return &Guard{Backend: b, suspects: map[string]time.Time{}, changed: map[string]bool{}}
}

// guards are the process's guards, by the backend they wrap.
var guards = struct {
	sync.Mutex
	m map[any]*Guard
}{m: map[any]*Guard{}}

// GuardOf returns the guard of backend b: b itself when it is a *Guard,
// else the one guard the process keeps for b, made on first use with
// StallTimeoutFromEnv. A backend value that cannot be a map key gets a
// guard of its own.
func GuardOf(b Backend) *Guard {
	if g, ok := b.(*Guard); ok {
		return g
	}
	if b == nil || !reflect.TypeOf(b).Comparable() {
		g := NewGuard(b)
		g.Timeout = StallTimeoutFromEnv()
		return g
	}
	guards.Lock()
	defer guards.Unlock()
	if g, ok := guards.m[b]; ok {
		return g
	}
	g := NewGuard(b)
	g.Timeout = StallTimeoutFromEnv()
	guards.m[b] = g
	return g
}

func (g *Guard) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func modelKey(name string) string { return strings.TrimSuffix(name, ":latest") }

// MarkSuspect makes model a suspect since the given time (a stream on it
// was abandoned then), unless it is one since later.
func (g *Guard) MarkSuspect(model string, since time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	k := modelKey(model)
	if cur, ok := g.suspects[k]; !ok || since.After(cur) {
		g.suspects[k] = since
		g.changed[k] = true
	}
}

// clear ends the suspicion: a stream on the model finished.
func (g *Guard) clear(model string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	k := modelKey(model)
	if _, ok := g.suspects[k]; ok {
		delete(g.suspects, k)
		g.changed[k] = true
	}
}

func (g *Guard) suspectSince(model string) (time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ok := g.suspects[modelKey(model)]
	return t, ok
}

// Suspects returns the suspect models (names without ":latest") and when
// each one's stream was last abandoned.
func (g *Guard) Suspects() map[string]time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return maps.Clone(g.suspects)
}

// RunningLister is implemented by backends that list the loaded models
// (*api.Client does); the guard uses it to tell a load from a wedge and to
// see an unload through.
type RunningLister interface {
	ListRunning(ctx context.Context) (*api.ProcessResponse, error)
}

var _ RunningLister = (*api.Client)(nil)

// errNoRunningList answers ListRunning on a backend that cannot list.
var errNoRunningList = errors.New("the server does not list its loaded models")

// ListRunning passes /api/ps through, for the runner's other uses.
func (g *Guard) ListRunning(ctx context.Context) (*api.ProcessResponse, error) {
	if rl, ok := g.Backend.(RunningLister); ok {
		return rl.ListRunning(ctx)
	}
	return nil, errNoRunningList
}

// List passes the model list through (Lister).
func (g *Guard) List(ctx context.Context) (*api.ListResponse, error) {
	if l, ok := g.Backend.(Lister); ok {
		return l.List(ctx)
	}
	return nil, errors.New("the server does not list its models")
}

// running returns model's entry in a /api/ps answer.
func running(ps *api.ProcessResponse, model string) (api.ProcessModelResponse, bool) {
	for _, m := range ps.Models {
		if modelKey(m.Name) == modelKey(model) || modelKey(m.Model) == modelKey(model) {
			return m, true
		}
	}
	return api.ProcessModelResponse{}, false
}

// callOpts are a run's settings for the requests it sends through the
// guard: its stall timeout and where its warnings go.
type callOpts struct {
	timeout time.Duration // 0: the guard's
	warn    func(format string, a ...any)
}

type callKey struct{}

func withCall(ctx context.Context, o callOpts) context.Context {
	return context.WithValue(ctx, callKey{}, o)
}

func (g *Guard) opts(ctx context.Context) (time.Duration, func(string, ...any)) {
	o, _ := ctx.Value(callKey{}).(callOpts)
	t := o.timeout
	if t == 0 {
		t = g.Timeout
	}
	if t == 0 {
		t = DefaultStallTimeout
	}
	warn := o.warn
	if warn == nil {
		warn = func(string, ...any) {}
	}
	return max(t, 0), warn
}

// errStalled marks an attempt that the watchdog ended.
var errStalled = errors.New("no response from the server")

// Generate sends a generate request through the guard.
func (g *Guard) Generate(ctx context.Context, req *api.GenerateRequest, fn api.GenerateResponseFunc) error {
	return g.guarded(ctx, req.Model, func(ctx context.Context, seen func(bool) bool) error {
		return g.Backend.Generate(ctx, req, func(resp api.GenerateResponse) error {
			if !seen(resp.Done) {
				return errStalled
			}
			return fn(resp)
		})
	})
}

// Chat sends a chat request through the guard.
func (g *Guard) Chat(ctx context.Context, req *api.ChatRequest, fn api.ChatResponseFunc) error {
	return g.guarded(ctx, req.Model, func(ctx context.Context, seen func(bool) bool) error {
		return g.Backend.Chat(ctx, req, func(resp api.ChatResponse) error {
			if !seen(resp.Done) {
				return errStalled
			}
			return fn(resp)
		})
	})
}

// guarded runs one streaming request through the guard. call sends the
// request with the given context and reports each chunk through seen, which
// says whether the chunk may be handled (false once the watchdog has fired).
func (g *Guard) guarded(ctx context.Context, model string, call func(ctx context.Context, seen func(done bool) bool) error) error {
	timeout, warnf := g.opts(ctx)
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithCancel(ctx)
		var mu sync.Mutex
		got, finished, stalled := false, false, false
		watching := make(chan struct{})
		// Each try waits twice as long as the one before, so that a very
		// long prompt evaluation is not taken for a wedge three times.
		wait := timeout << (attempt - 1)
		if timeout > 0 {
			// The watchdog: while no chunk has come and the model is a
			// suspect, the request may wait from the later of its start
			// and the abandonment. A request already waiting when another
			// stream is abandoned is watched from then on.
			go g.watchStall(actx, model, wait, watching, func() {
				mu.Lock()
				defer mu.Unlock()
				if !got {
					stalled = true
					cancel()
				}
			})
		}
		err := call(actx, func(done bool) bool {
			mu.Lock()
			defer mu.Unlock()
			if stalled {
				return false
			}
			got = true
			finished = finished || done
			return true
		})
		close(watching)
		cancel()
		mu.Lock()
		st, gotChunk, fin := stalled, got, finished
		mu.Unlock()
		if st && ctx.Err() == nil {
			if attempt == maxStallAttempts {
				return fmt.Errorf("%w in %s on %s, even after unloading it %d times: the server is wedged (ollama/ollama#17131); restart it", errStalled, wait, model, attempt-1)
			}
			warnf("%s: no response in %s after an abandoned stream; unloaded the model and sent the request again (ollama/ollama#17131)", model, wait)
			if uerr := g.unloadModel(ctx, model, min(timeout, 5*time.Second)); uerr != nil {
				return fmt.Errorf("%w in %s, and unloading %s failed: %v", errStalled, wait, model, uerr)
			}
			// Still a suspect, from now: the new request gets a full
			// wait, and is watched in case it met the wedged runner.
			g.MarkSuspect(model, g.now())
			continue
		}
		switch {
		case fin:
			// A finished stream: the model's slot works.
			g.clear(model)
		case gotChunk || ctx.Err() != nil:
			// Abandoned mid-stream (a cut, a hook, an interrupt, a client
			// that left the proxy): the server may be wedged now.
			g.MarkSuspect(model, g.now())
		}
		return err
	}
}

// maxStallAttempts bounds the tries of one request on a wedged server.
const maxStallAttempts = 3

// watchStall calls stall once the request has waited timeout on a suspect
// model (see guarded) and the model is loaded and not loading; it returns
// when done is closed or ctx ends.
func (g *Guard) watchStall(ctx context.Context, model string, timeout time.Duration, done <-chan struct{}, stall func()) {
	start := g.now()
	tick := time.NewTicker(max(min(timeout/10, 250*time.Millisecond), time.Millisecond))
	defer tick.Stop()
	var notBefore time.Time // when the model was seen loading, the next look
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
			now := g.now()
			since, ok := g.suspectSince(model)
			if !ok || now.Before(notBefore) {
				continue
			}
			if since.Before(start) {
				since = start
			}
			if now.Sub(since) < timeout {
				continue
			}
			if g.loading(ctx, model) {
				notBefore = now.Add(2 * time.Second)
				continue
			}
			stall()
			return
		}
	}
}

// loading reports whether the server is (re)loading model rather than
// holding it loaded: a wedged runner is listed by /api/ps with a fixed
// expiry, while a model that is not listed is still queued or loading,
// and one that is loading gets an expiry computed afresh at each look
// (now + keep_alive). Without a RunningLister it reports false.
func (g *Guard) loading(ctx context.Context, model string) bool {
	rl, ok := g.Backend.(RunningLister)
	if !ok {
		return false
	}
	hung := false
	expiry := func() (time.Time, bool) {
		// /api/ps answers in microseconds; a server that cannot answer it
		// in seconds is stuck, and the request waiting on it with it.
		pctx, cancel := context.WithTimeout(ctx, psTimeout)
		defer cancel()
		ps, err := rl.ListRunning(pctx)
		if err != nil {
			hung = hung || ctx.Err() == nil && errors.Is(pctx.Err(), context.DeadlineExceeded)
			return time.Time{}, false
		}
		m, ok := running(ps, model)
		return m.ExpiresAt, ok
	}
	first, listed := expiry()
	if hung {
		return false
	}
	if !listed {
		return ctx.Err() == nil // not loaded yet (or /api/ps failed): wait
	}
	if sleepCtx(ctx, 100*time.Millisecond) != nil {
		return false
	}
	second, listed := expiry()
	return !hung && (!listed || !second.Equal(first))
}

// psTimeout bounds one /api/ps lookup of the guard, and unloadTimeout the
// unload request; a server that cannot answer them is stuck.
var (
	psTimeout     = 3 * time.Second
	unloadTimeout = 10 * time.Second
)

// unloadModel asks the server to unload model, and waits up to wait for it
// to leave the loaded models. The scheduler unloads a runner only once no
// request holds it, and another request may load the model again at once,
// so the wait is a courtesy: a request that still meets the wedged runner
// is caught by its own watchdog.
func (g *Guard) unloadModel(ctx context.Context, model string, wait time.Duration) error {
	uctx, cancel := context.WithTimeout(ctx, unloadTimeout)
	err := g.Backend.Generate(uctx, &api.GenerateRequest{Model: model, KeepAlive: &api.Duration{Duration: 0}},
		func(api.GenerateResponse) error { return nil })
	cancel()
	if err != nil {
		if ctx.Err() == nil && errors.Is(uctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("no answer in %v", unloadTimeout)
		}
		return err
	}
	rl, ok := g.Backend.(RunningLister)
	if !ok {
		return sleepCtx(ctx, wait)
	}
	wctx, wcancel := context.WithTimeout(ctx, wait)
	defer wcancel()
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); {
		ps, err := rl.ListRunning(wctx)
		if err != nil {
			return sleepCtx(ctx, time.Until(deadline))
		}
		if _, ok := running(ps, model); !ok {
			return nil
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// generate sends a generate request through the run's guard.
func (rn *run) generate(ctx context.Context, req *api.GenerateRequest, fn api.GenerateResponseFunc) error {
	return rn.r.guard().Generate(rn.callCtx(ctx), req, fn)
}

// chatCall sends a chat request through the run's guard.
func (rn *run) chatCall(ctx context.Context, req *api.ChatRequest, fn api.ChatResponseFunc) error {
	return rn.r.guard().Chat(rn.callCtx(ctx), req, fn)
}

func (rn *run) callCtx(ctx context.Context) context.Context {
	return withCall(ctx, callOpts{timeout: rn.r.StallTimeout, warn: rn.warnf})
}

// guard returns the runner's wedge guard (GuardOf its Backend).
func (r *Runner) guard() *Guard { return GuardOf(r.Backend) }
