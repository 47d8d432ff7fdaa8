package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
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

// DefaultStallTimeout is how long a request to a suspect model may wait for
// its first chunk. The environment variable REIN_STALL_TIMEOUT overrides it
// (a Go duration; 0 turns the guard off).
const DefaultStallTimeout = 30 * time.Second

// suspects holds, for each model whose last stream was abandoned mid-way,
// when that happened, by model name without ":latest". It is
// process-wide: every Runner in the process talks to the same server.
var suspects = struct {
	sync.Mutex
	m map[string]time.Time
}{m: map[string]time.Time{}}

func modelKey(name string) string { return strings.TrimSuffix(name, ":latest") }

// clearSuspect ends the suspicion: a stream on the model finished.
func clearSuspect(name string) {
	suspects.Lock()
	defer suspects.Unlock()
	delete(suspects.m, modelKey(name))
}

// suspectSince returns when the model's stream was last abandoned, if it
// is a suspect.
func suspectSince(name string) (time.Time, bool) {
	suspects.Lock()
	defer suspects.Unlock()
	t, ok := suspects.m[modelKey(name)]
	return t, ok
}

// Suspects returns the suspect models (names without ":latest") and when
// each one's stream was last abandoned.
func Suspects() map[string]time.Time {
	suspects.Lock()
	defer suspects.Unlock()
	return maps.Clone(suspects.m)
}

// MarkSuspect makes model a suspect since the given time, for a caller
// that knows of a stream abandoned by an earlier process (rein run keeps
// them in its state folder across a Ctrl-C).
func MarkSuspect(model string, since time.Time) {
	suspects.Lock()
	defer suspects.Unlock()
	if cur, ok := suspects.m[modelKey(model)]; !ok || since.After(cur) {
		suspects.m[modelKey(model)] = since
	}
}

// RunningLister is implemented by backends that list the loaded models
// (*api.Client does); the guard uses it to tell a load from a wedge and to
// see an unload through.
type RunningLister interface {
	ListRunning(ctx context.Context) (*api.ProcessResponse, error)
}

var _ RunningLister = (*api.Client)(nil)

// running returns model's entry in a /api/ps answer.
func running(ps *api.ProcessResponse, model string) (api.ProcessModelResponse, bool) {
	for _, m := range ps.Models {
		if modelKey(m.Name) == modelKey(model) || modelKey(m.Model) == modelKey(model) {
			return m, true
		}
	}
	return api.ProcessModelResponse{}, false
}

func (r *Runner) stallTimeout() time.Duration {
	if r.StallTimeout != 0 {
		return max(r.StallTimeout, 0)
	}
	if v := os.Getenv("REIN_STALL_TIMEOUT"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return max(d, 0)
		}
	}
	return DefaultStallTimeout
}

// errStalled marks an attempt that the watchdog ended.
var errStalled = errors.New("no response from the server")

// guarded runs one streaming request through the guard. call sends the
// request with the given context and reports each chunk through seen, which
// says whether the chunk may be handled (false once the watchdog has fired).
func (rn *run) guarded(ctx context.Context, model string, call func(ctx context.Context, seen func(done bool) bool) error) error {
	timeout := rn.r.stallTimeout()
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
			go rn.watchStall(actx, model, wait, watching, func() {
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
		st, g, fin := stalled, got, finished
		mu.Unlock()
		if st && ctx.Err() == nil {
			if attempt == maxStallAttempts {
				return fmt.Errorf("%w in %s on %s, even after unloading it %d times: the server is wedged (ollama/ollama#17131); restart it", errStalled, wait, model, attempt-1)
			}
			rn.warnf("%s: no response in %s after an abandoned stream; unloaded the model and sent the request again (ollama/ollama#17131)", model, wait)
			if uerr := rn.unloadModel(ctx, model, min(timeout, 5*time.Second)); uerr != nil {
				return fmt.Errorf("%w in %s, and unloading %s failed: %v", errStalled, wait, model, uerr)
			}
			// Still a suspect, from now: the new request gets a full
			// wait, and is watched in case it met the wedged runner.
			MarkSuspect(model, time.Now())
			continue
		}
		switch {
		case fin:
			// A finished stream: the model's slot works.
			clearSuspect(model)
		case g || ctx.Err() != nil:
			// Abandoned mid-stream (a cut, a hook, an interrupt, a client
			// that left the proxy): the server may be wedged now.
			MarkSuspect(model, time.Now())
		}
		return err
	}
}

// maxStallAttempts bounds the tries of one request on a wedged server.
const maxStallAttempts = 3

// watchStall calls stall once the request has waited timeout on a suspect
// model (see guarded) and the model is loaded and not loading; it returns
// when done is closed or ctx ends.
func (rn *run) watchStall(ctx context.Context, model string, timeout time.Duration, done <-chan struct{}, stall func()) {
	start := time.Now()
	tick := time.NewTicker(max(min(timeout/10, 250*time.Millisecond), time.Millisecond))
	defer tick.Stop()
	var notBefore time.Time // when the model was seen loading, the next look
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case now := <-tick.C:
			since, ok := suspectSince(model)
			if !ok || now.Before(notBefore) {
				continue
			}
			if since.Before(start) {
				since = start
			}
			if now.Sub(since) < timeout {
				continue
			}
			if rn.loading(ctx, model) {
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
func (rn *run) loading(ctx context.Context, model string) bool {
	rl, ok := rn.r.Backend.(RunningLister)
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
func (rn *run) unloadModel(ctx context.Context, model string, wait time.Duration) error {
	uctx, cancel := context.WithTimeout(ctx, unloadTimeout)
	err := rn.r.Backend.Generate(uctx, &api.GenerateRequest{Model: model, KeepAlive: &api.Duration{Duration: 0}},
		func(api.GenerateResponse) error { return nil })
	cancel()
	if err != nil {
		if ctx.Err() == nil && errors.Is(uctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("no answer in %v", unloadTimeout)
		}
		return err
	}
	rl, ok := rn.r.Backend.(RunningLister)
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

// generate sends a generate request through the guard.
func (rn *run) generate(ctx context.Context, req *api.GenerateRequest, fn api.GenerateResponseFunc) error {
	return rn.guarded(ctx, req.Model, func(ctx context.Context, seen func(bool) bool) error {
		return rn.r.Backend.Generate(ctx, req, func(resp api.GenerateResponse) error {
			if !seen(resp.Done) {
				return errStalled
			}
			return fn(resp)
		})
	})
}

// chatCall sends a chat request through the guard.
func (rn *run) chatCall(ctx context.Context, req *api.ChatRequest, fn api.ChatResponseFunc) error {
	return rn.guarded(ctx, req.Model, func(ctx context.Context, seen func(bool) bool) error {
		return rn.r.Backend.Chat(ctx, req, func(resp api.ChatResponse) error {
			if !seen(resp.Done) {
				return errStalled
			}
			return fn(resp)
		})
	})
}
