package runner

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
)

// TestProbes: answer probes run at step boundaries the server ended, on
// the cached prefix, leave the trace as it would be without them, and cut
// as "settled" when they agree or are confident.
func TestProbes(t *testing.T) {
	tests := []struct {
		name     string
		req      func(*Request)
		cut      string
		thinking string
		answer   string
		probes   []int // the steps at which probes ran
	}{
		{"two agree", func(q *Request) { q.Budgets.ExitOnAgreement, q.Budgets.ProbeEvery = budget.Ptr(2), budget.Ptr(1) }, hooks.ReasonSettled,
			"Step one.\n\nStep two.", "Final answer: 4.", []int{1, 2}},
		{"confident", func(q *Request) { q.Budgets.ExitOnConfidence = budget.Ptr(0.9) }, hooks.ReasonSettled,
			"Step one.\n\nStep two.", "Final answer: 4.", []int{2}},
		// Never settles: the model closes its thinking first, and the
		// trace and answer are those of a run without probes.
		{"never settles", func(q *Request) { q.Budgets.ExitOnAgreement, q.Budgets.ProbeEvery = budget.Ptr(5), budget.Ptr(1) }, "",
			"Step one.\n\nStep two.\n\nStep three.", "The answer is 4.", []int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, defaultModel())
			r, _ := newTestRunner(f)
			q := thinkReq()
			tt.req(q)
			var events []string
			q.Hooks = []hooks.Hook{hooks.Watch(func(_ context.Context, ev *hooks.Event) {
				if ev.Kind == hooks.KindProbe {
					events = append(events, ev.Text)
				}
			})}
			rec, err := r.Run(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if rec.CutReason != tt.cut || rec.Thinking != tt.thinking || rec.Answer != tt.answer {
				t.Errorf("cut %q thinking %q answer %q", rec.CutReason, rec.Thinking, rec.Answer)
			}
			var steps []int
			for _, p := range rec.Probes {
				steps = append(steps, p.Step)
				if p.Answer != "Final answer: 4." || p.Tokens == 0 || p.Confidence != 1 {
					t.Errorf("probe %+v", p)
				}
			}
			if !slices.Equal(steps, tt.probes) || len(events) != len(tt.probes) {
				t.Errorf("probes at steps %v (%d events), want %v", steps, len(events), tt.probes)
			}
			if rec.Metrics.ProbeTokens == 0 || rec.Metrics.WastedTokens != 0 {
				t.Errorf("probe tokens %d wasted %d", rec.Metrics.ProbeTokens, rec.Metrics.WastedTokens)
			}
			// Each probe and each pass after one evaluated only what is new
			// to the server's cache: the closing tag, or a token or two.
			for i, p := range rec.Passes {
				if p.Cancelled {
					t.Errorf("pass %d (%s) was cancelled", i, p.Kind)
				}
				if i > 0 && p.Kind != PassResume && f.evaluated[i] > 3 {
					t.Errorf("pass %d (%s) evaluated %d prompt tokens", i, p.Kind, f.evaluated[i])
				}
			}
		})
	}
}

// TestProbeValidate: probe settings out of range are refused.
func TestProbeValidate(t *testing.T) {
	for _, b := range []budget.Budgets{
		{ExitOnAgreement: budget.Ptr(-1)}, {ExitOnConfidence: budget.Ptr(1.5)}, {ExitOnConfidence: budget.Ptr(-0.1)},
		{ProbeEvery: budget.Ptr(-2)}, {ProbeTokens: budget.Ptr(-1)},
	} {
		q := Request{Budgets: b}
		q.Model, q.Prompt = "m", "p"
		if err := q.Validate(); err == nil {
			t.Errorf("%+v: no error", q)
		}
	}
}

// TestValidateLimits: the runner refuses budgets past the flags' upper
// limits, for every caller (the chat's /set, the library).
func TestValidateLimits(t *testing.T) {
	for _, b := range []budget.Budgets{
		{MaxThinkTokens: budget.Ptr(1 << 40)}, {MaxSteps: budget.Ptr(1 << 30)}, {MaxThinkTime: budget.Ptr[time.Duration](1 << 62)},
	} {
		q := Request{Budgets: b}
		q.Model, q.Prompt = "m", "p"
		if err := q.Validate(); err == nil || !strings.Contains(err.Error(), "at most") {
			t.Errorf("%+v: err %v", q, err)
		}
	}
}

// TestProbeLead: a profile's answer lead-in follows the closing tag in
// every probe's prompt, and nowhere else.
func TestProbeLead(t *testing.T) {
	const lead = "\n\nThe answer is"
	f := newFakeServer(t, defaultModel())
	r, _ := newTestRunner(f)
	ps := testProfiles()
	ps[0].ProbeLead = lead
	r.Profiles = ps
	q := thinkReq()
	q.Budgets.ExitOnAgreement, q.Budgets.ProbeEvery = budget.Ptr(2), budget.Ptr(1)
	// The fake model has no scripted answer after a lead-in, so the
	// first probe fails the run; its request is what this test reads.
	_, _ = r.Run(context.Background(), q)
	probes := 0
	for _, req := range f.reqs() {
		if strings.HasSuffix(req.Prompt, lead) {
			probes++
		} else if strings.Contains(req.Prompt, lead) {
			t.Errorf("the lead-in outside a probe: %q", req.Prompt)
		}
	}
	if probes != 1 {
		t.Errorf("%d prompts end with the lead-in, want the first probe's", probes)
	}
}
