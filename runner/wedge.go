package runner

import (
	"context"
	"errors"
	"fmt"
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
// the model a suspect. The next request to a suspect model gets a watchdog;
// when no chunk comes within the stall timeout, rein asks the server to
// unload the model (keep_alive 0, which the scheduler honours because no live
// request holds the runner), waits for it to go, and sends the request again
// once. A healthy answer clears the suspicion. The cost is one reload when
// the server did wedge, and nothing when it did not.

// DefaultStallTimeout is how long a request to a suspect model may wait for
// its first chunk. The environment variable REIN_STALL_TIMEOUT overrides it
// (a Go duration; 0 turns the guard off).
const DefaultStallTimeout = 30 * time.Second

// suspects holds the models whose last stream was abandoned mid-way, by
// model name without ":latest". It is process-wide: every Runner in the
// process talks to the same server.
var suspects = struct {
	sync.Mutex
	m map[string]bool
}{m: map[string]bool{}}

func modelKey(name string) string { return strings.TrimSuffix(name, ":latest") }

func setSuspect(name string, on bool) {
	suspects.Lock()
	defer suspects.Unlock()
	if on {
		suspects.m[modelKey(name)] = true
	} else {
		delete(suspects.m, modelKey(name))
	}
}

func isSuspect(name string) bool {
	suspects.Lock()
	defer suspects.Unlock()
	return suspects.m[modelKey(name)]
}

// RunningLister is implemented by backends that list the loaded models
// (*api.Client does); the guard uses it to see an unload through.
type RunningLister interface {
	ListRunning(ctx context.Context) (*api.ProcessResponse, error)
}

var _ RunningLister = (*api.Client)(nil)

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
	watch := timeout > 0 && isSuspect(model)
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithCancel(ctx)
		var mu sync.Mutex
		got, finished, stalled := false, false, false
		var timer *time.Timer
		if watch && attempt == 0 {
			timer = time.AfterFunc(timeout, func() {
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
		if timer != nil {
			timer.Stop()
		}
		cancel()
		mu.Lock()
		st, g, fin := stalled, got, finished
		mu.Unlock()
		if st && ctx.Err() == nil {
			rn.warnf("%s: no response in %s after an abandoned stream; unloaded the model and sent the request again (ollama/ollama#17131)", model, timeout)
			if uerr := rn.unloadModel(ctx, model); uerr != nil {
				return fmt.Errorf("%w in %s, and unloading %s failed: %v", errStalled, timeout, model, uerr)
			}
			setSuspect(model, false)
			continue
		}
		switch {
		case fin:
			setSuspect(model, false)
		case g || ctx.Err() != nil:
			// Abandoned mid-stream (a cut, a hook, an interrupt, a client
			// that left the proxy): the server may be wedged now.
			setSuspect(model, true)
		}
		return err
	}
}

// unloadModel asks the server to unload model and waits until it has gone
// from the loaded models (up to 30s; without a RunningLister, one second).
func (rn *run) unloadModel(ctx context.Context, model string) error {
	err := rn.r.Backend.Generate(ctx, &api.GenerateRequest{Model: model, KeepAlive: &api.Duration{Duration: 0}},
		func(api.GenerateResponse) error { return nil })
	if err != nil {
		return err
	}
	rl, ok := rn.r.Backend.(RunningLister)
	if !ok {
		return sleepCtx(ctx, time.Second)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ps, err := rl.ListRunning(ctx)
		if err != nil {
			return sleepCtx(ctx, time.Second)
		}
		loaded := false
		for _, m := range ps.Models {
			if modelKey(m.Name) == modelKey(model) || modelKey(m.Model) == modelKey(model) {
				loaded = true
			}
		}
		if !loaded {
			return nil
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s still loaded 30s after the unload request", model)
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

// chat sends a chat request through the guard.
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
