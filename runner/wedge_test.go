package runner

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/hooks"
)

// cutAtStep is a hook that cuts the thinking on the step event of step n,
// as an external hook may: such a cut closes the stream (built-in budgets
// wait for the server to end the pass instead; see segment.go).
func cutAtStep(n int) hooks.Hook {
	return hooks.Func(func(_ context.Context, ev *hooks.Event) hooks.Decision {
		if ev.Kind == hooks.KindStep && ev.Steps >= n {
			return hooks.Decision{Action: hooks.Cut}
		}
		return hooks.Decision{}
	})
}

// TestRunRecoversFromWedgedServer plays Ollama's lost-slot bug
// (ollama/ollama#17131) on the FAKE server: a hook's cut closes the stream
// and leaves the server wedged, the resume pass hangs, and the guard
// unloads the model and sends the pass again.
func TestRunRecoversFromWedgedServer(t *testing.T) {
	defer func(d time.Duration) { psTimeout = d }(psTimeout)
	psTimeout = 100 * time.Millisecond
	tests := []struct {
		name    string
		stall   time.Duration
		recover bool
		psHangs bool
	}{
		{"guard on", 200 * time.Millisecond, true, false},
		{"guard off", -1, false, false},
		// A server whose /api/ps hangs too is taken for wedged, not for
		// loading, and the guard neither waits on it forever nor hangs.
		{"ps hangs", 200 * time.Millisecond, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := defaultModel()
			m.blockAfter = 8
			m.wedgeOnCut = true
			m.psHangs = tt.psHangs
			f := newFakeServer(t, m)
			r, _ := newTestRunner(f)
			r.StallTimeout = tt.stall
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			q := thinkReq()
			q.Hooks = []hooks.Hook{cutAtStep(1)}
			rec, err := r.Run(ctx, q)

			// The fake counts a stalled request once it sees the client
			// go, which may come just after Run returns.
			var stalled, unloads int
			for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				f.mu.Lock()
				stalled, unloads = f.stalled, f.unloads
				f.mu.Unlock()
				if stalled > 0 || time.Now().After(deadline) {
					break
				}
			}
			if stalled == 0 {
				t.Fatalf("the fake never wedged (err %v); the test proves nothing", err)
			}
			if !tt.recover {
				if !errors.Is(err, context.DeadlineExceeded) || unloads != 0 {
					t.Fatalf("without the guard: err %v, %d unloads; want a hang until the deadline", err, unloads)
				}
				return
			}
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if rec.CutReason != hooks.ReasonHook || rec.Answer != "Final answer: 4." {
				t.Errorf("cut %q answer %q", rec.CutReason, rec.Answer)
			}
			if stalled != 1 || unloads != 1 {
				t.Errorf("%d stalled requests, %d unloads; want 1 and 1", stalled, unloads)
			}
			if len(rec.Warnings) != 1 || !strings.Contains(rec.Warnings[0], "ollama/ollama#17131") {
				t.Errorf("warnings %q", rec.Warnings)
			}
			if _, ok := GuardOf(r.Backend).Suspects()["fake"]; ok {
				t.Error("the model is still a suspect after a finished pass")
			}
		})
	}
}

// TestWedgeRescuesWaitingRequests: a run that was already waiting for the
// slot when another run abandoned its stream (so the model was no suspect
// when it started) is watched from the abandonment on, and recovers too.
// Without that, the waiting run holds the model and the unload never
// happens.
func TestWedgeRescuesWaitingRequests(t *testing.T) {
	m := defaultModel()
	m.blockAfter = 8
	m.wedgeOnCut = true
	f := newFakeServer(t, m)
	ra, _ := newTestRunner(f)
	ra.StallTimeout = 200 * time.Millisecond
	rb := &Runner{Backend: ra.Backend, Now: ra.Now, Profiles: ra.Profiles, StallTimeout: ra.StallTimeout}
	GuardOf(ra.Backend).clear("fake")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	streaming := make(chan struct{})
	var once sync.Once
	qa := thinkReq()
	qa.Hooks = []hooks.Hook{hooks.Func(func(_ context.Context, ev *hooks.Event) hooks.Decision {
		if ev.Kind == hooks.KindToken {
			once.Do(func() { close(streaming) })
		}
		return hooks.Decision{}
	}), cutAtStep(1)}
	type result struct {
		rec *Record
		err error
	}
	ach, bch := make(chan result, 1), make(chan result, 1)
	go func() { rec, err := ra.Run(ctx, qa); ach <- result{rec, err} }()
	<-streaming // A holds the slot now; B queues behind it
	go func() {
		q := thinkReq()
		q.RunID = "run-2"
		rec, err := rb.Run(ctx, q)
		bch <- result{rec, err}
	}()
	a, b := <-ach, <-bch
	if a.err != nil || b.err != nil {
		f.mu.Lock()
		t.Logf("fake: refs %d expiring %v loaded %v unloads %d stalled %d requests %d", f.refs, f.expiring, f.loaded, f.unloads, f.stalled, len(f.requests))
		f.mu.Unlock()
		for _, r := range []result{a, b} {
			if r.rec != nil {
				t.Logf("%s: warnings %q passes %+v", r.rec.RunID, r.rec.Warnings, r.rec.Passes)
			}
		}
		t.Fatalf("runs: %v, %v", a.err, b.err)
	}
	if a.rec.CutReason != hooks.ReasonHook || a.rec.Answer != "Final answer: 4." || b.rec.Answer != "The answer is 4." {
		t.Errorf("A cut %q answer %q; B answer %q", a.rec.CutReason, a.rec.Answer, b.rec.Answer)
	}
	f.mu.Lock()
	unloads := f.unloads
	f.mu.Unlock()
	if unloads == 0 || len(a.rec.Warnings)+len(b.rec.Warnings) == 0 {
		t.Errorf("%d unloads, warnings %q %q", unloads, a.rec.Warnings, b.rec.Warnings)
	}
}

// psBackend answers /api/ps from a function; nothing else.
type psBackend struct {
	Backend
	ps func() *api.ProcessResponse
}

func (b psBackend) ListRunning(context.Context) (*api.ProcessResponse, error) { return b.ps(), nil }

// TestLoadingIsNoWedge: the watchdog takes a model that is not listed, or
// listed with an expiry computed afresh (loading), for a load, not a wedge.
func TestLoadingIsNoWedge(t *testing.T) {
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name    string
		backend Backend
		want    bool
	}{
		{"not listed", psBackend{ps: func() *api.ProcessResponse { return &api.ProcessResponse{} }}, true},
		{"loaded, fixed expiry", psBackend{ps: func() *api.ProcessResponse {
			return &api.ProcessResponse{Models: []api.ProcessModelResponse{{Name: "m:latest", ExpiresAt: fixed}}}
		}}, false},
		{"loading, expiry moves", psBackend{ps: func() *api.ProcessResponse {
			return &api.ProcessResponse{Models: []api.ProcessModelResponse{{Name: "m:latest", ExpiresAt: time.Now().Add(5 * time.Minute)}}}
		}}, true},
		{"another model loaded", psBackend{ps: func() *api.ProcessResponse {
			return &api.ProcessResponse{Models: []api.ProcessModelResponse{{Name: "other:latest", ExpiresAt: fixed}}}
		}}, true},
		{"no /api/ps", struct{ Backend }{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewGuard(tt.backend).loading(context.Background(), "m"); got != tt.want {
				t.Errorf("loading = %v, want %v", got, tt.want)
			}
		})
	}
}
