package runner

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/models"
)

// A server that sends three chunks and then nothing (the fake's
// blockAfter): issue 18's stalled stream, which kept rein run waiting
// forever. With a time budget the run is cut at the deadline on the run's
// clock and answers as usual; without one, the silence is an error that
// says what to do.
func TestStalledStream(t *testing.T) {
	cases := []struct {
		name      string
		thinkTime time.Duration // 0: no time budget
		idle      time.Duration
		client    bool // through models.NewClient (its own idle limit)
		wantCut   string
		wantErr   []string // the error names these; nil: no error
		minTook   time.Duration
		maxTook   time.Duration
	}{
		{"time budget fires without tokens", time.Second, time.Minute, false, hooks.ReasonTime, nil, time.Second, 5 * time.Second},
		{"silence cuts under a time budget", time.Minute, 300 * time.Millisecond, false, hooks.ReasonTime, nil, 300 * time.Millisecond, 4 * time.Second},
		{"silence without a budget is an error", 0, 300 * time.Millisecond, false, hooks.ReasonError, []string{models.EnvIdleTimeout, "fake"}, 300 * time.Millisecond, 4 * time.Second},
		{"the client names the server", 0, 300 * time.Millisecond, true, hooks.ReasonError, []string{models.EnvIdleTimeout, "SERVER"}, 300 * time.Millisecond, 4 * time.Second},
		{"the client's silence cuts under a time budget", time.Minute, 300 * time.Millisecond, true, hooks.ReasonTime, nil, 300 * time.Millisecond, 4 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old := idleTimeout
			idleTimeout = func() time.Duration { return tc.idle }
			if tc.client {
				// Only the client's limit: its error is what the run reads.
				idleTimeout = func() time.Duration { return time.Hour }
			}
			t.Cleanup(func() { idleTimeout = old })
			defer func(d time.Duration) { psTimeout = d }(psTimeout)
			psTimeout = 100 * time.Millisecond
			m := defaultModel()
			m.blockAfter = 3
			// The fake keeps the slot of a stream closed mid-way, as
			// Ollama 0.17.4 can: a cut by the timer must go through the
			// wedge guard, which unloads the model and sends the resume
			// again.
			m.wedgeOnCut = true
			f := newFakeServer(t, m)
			r := &Runner{Backend: f.client(), Profiles: testProfiles(), StallTimeout: 300 * time.Millisecond}
			u, _ := url.Parse(f.hs.URL)
			if tc.client {
				r.Backend = models.NewClient(u, models.Timeouts{Connect: time.Second, Describe: 5 * time.Second, Stream: 5 * time.Second, Idle: tc.idle})
			}
			q := &Request{Model: "fake", Prompt: question, RunID: "run-1"}
			if tc.thinkTime > 0 {
				q.Budgets.MaxThinkTime = budget.Ptr(tc.thinkTime)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			rec, err := r.Run(ctx, q)
			took := time.Since(start)
			if ctx.Err() != nil {
				t.Fatalf("the run hung until the test's deadline (%v)", took)
			}
			if took < tc.minTook || took > tc.maxTook {
				t.Errorf("took %v, want between %v and %v", took, tc.minTook, tc.maxTook)
			}
			if rec.CutReason != tc.wantCut {
				t.Errorf("cut reason %q, want %q (error %v)", rec.CutReason, tc.wantCut, err)
			}
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if rec.Answer != "Final answer: 4." {
					t.Errorf("answer %q, want the resume's", rec.Answer)
				}
				if len(rec.Passes) < 2 || !rec.Passes[0].Cancelled || rec.Passes[len(rec.Passes)-1].Kind != PassResume {
					t.Errorf("passes %+v: want the stalled one cancelled, then a resume", rec.Passes)
				}
				// The stream was closed mid-way, under the wedge guard.
				f.mu.Lock()
				unloads := f.unloads
				f.mu.Unlock()
				if unloads != 1 || len(rec.Warnings) != 1 || !strings.Contains(rec.Warnings[0], "ollama/ollama#17131") {
					t.Errorf("%d unloads, warnings %q: want the guard to rescue the resume once", unloads, rec.Warnings)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, w := range tc.wantErr {
				if w == "SERVER" {
					w = u.Host
				}
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not name %q", msg, w)
				}
			}
			if rec.Thinking != "Step" {
				t.Errorf("partial thinking %q, want what came before the silence", rec.Thinking)
			}
		})
	}
}

// A run that streams to its end under a time budget on the real clock: the
// timer never fires, cancels no pass, and cuts nothing.
func TestTimerQuietOnFinishedStreams(t *testing.T) {
	for _, d := range []time.Duration{30 * time.Second, time.Minute} {
		f := newFakeServer(t, defaultModel())
		r := &Runner{Backend: f.client(), Profiles: testProfiles()}
		q := &Request{Model: "fake", Prompt: question, RunID: "run-1"}
		q.Budgets.MaxThinkTime = budget.Ptr(d)
		rec, err := r.Run(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if rec.CutReason != "" || rec.Answer != "The answer is 4." {
			t.Errorf("budget %v: cut %q answer %q, want the natural run", d, rec.CutReason, rec.Answer)
		}
		for i, p := range rec.Passes {
			if p.Cancelled {
				t.Errorf("budget %v: pass %d (%s) cancelled", d, i, p.Kind)
			}
		}
	}
}

// The deadline is on the run's clock: a caller's clock that stands still
// during a stall does not reach it (the fake's ticks come with chunks
// only), so only the silence ends the pass, as a time cut.
func TestTimerOnCallersClock(t *testing.T) {
	old := idleTimeout
	idleTimeout = func() time.Duration { return 700 * time.Millisecond }
	t.Cleanup(func() { idleTimeout = old })
	m := defaultModel()
	m.blockAfter = 3
	f := newFakeServer(t, m)
	r, _ := newTestRunner(f)
	q := thinkReq()
	q.Budgets.MaxThinkTime = budget.Ptr(50 * time.Millisecond)
	start := time.Now()
	rec, err := r.Run(context.Background(), q)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if rec.CutReason != hooks.ReasonTime || rec.Answer != "Final answer: 4." {
		t.Errorf("cut %q answer %q, want a time cut and the resume's answer", rec.CutReason, rec.Answer)
	}
	if took < 700*time.Millisecond {
		t.Errorf("took %v: the deadline fired on the real clock, not the run's", took)
	}
}
