package runner

import (
	"context"
	"slices"
	"testing"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
)

// TestServerVersionShapesRequests: what the server's version can do
// (models.CapsFor) decides the shift a request sends and where the resume's
// evaluated tokens come from.
func TestServerVersionShapesRequests(t *testing.T) {
	tests := []struct {
		version   string
		wantShift bool // shift:false is sent
		source    string
	}{
		{"0.17.4", true, SourceCounted},
		{"0.24.0", true, SourceCounted},
		// shift is fixed at load: sending it would reload the model.
		{"0.30.1", false, SourceCounted},
		// the server measures the cache reuse itself.
		{"0.34.4", false, SourceServer},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			m := defaultModel()
			m.version = tt.version
			f := newFakeServer(t, m)
			r, _ := newTestRunner(f)
			q := thinkReq()
			q.Budgets.MaxSteps = budget.Ptr(1)
			rec, err := r.Run(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			for i, rq := range f.reqs() {
				if got := rq.Shift != nil; got != tt.wantShift {
					t.Errorf("request %d: shift sent %v, want %v", i, got, tt.wantShift)
				}
			}
			if rec.OllamaVersion != tt.version || rec.CutReason != hooks.ReasonSteps {
				t.Errorf("version %q cut %q", rec.OllamaVersion, rec.CutReason)
			}
			res := rec.Passes[len(rec.Passes)-1]
			if res.Kind != PassResume || res.ResumeEvalSource != tt.source || rec.Metrics.ResumeEvalSource != tt.source {
				t.Errorf("resume %s source %q (metrics %q), want %q", res.Kind, res.ResumeEvalSource, rec.Metrics.ResumeEvalSource, tt.source)
			}
			// Counted or measured, the figure is what the server evaluated.
			if want := f.evaluated[len(f.evaluated)-1]; res.ResumeEvalTokens != want {
				t.Errorf("resume eval tokens %d, server evaluated %d", res.ResumeEvalTokens, want)
			}
		})
	}
}

// TestSegments: the built-in budgets end the thinking where the server
// ended a pass by itself; nothing is cancelled, and a step cut wastes
// nothing.
func TestSegments(t *testing.T) {
	tests := []struct {
		name     string
		model    func() fakeModel
		req      func(*Request)
		cut      string
		thinking string
		answer   string
		passes   []string
		wasted   int
	}{
		{"two steps", defaultModel, func(q *Request) { q.Budgets.MaxSteps = budget.Ptr(2) }, hooks.ReasonSteps,
			"Step one.\n\nStep two.", "Final answer: 4.", []string{PassFirst, PassSegment, PassResume}, 0},
		// The model closes its thinking in a segmented pass: the
		// separator after the tag stops the pass, and the answer goes on
		// without a stop.
		{"closes by itself", defaultModel, func(q *Request) { q.Budgets.MaxSteps = budget.Ptr(5) }, "",
			"Step one.\n\nStep two.\n\nStep three.", "The answer is 4.", []string{PassFirst, PassSegment, PassSegment, PassContinue}, 0},
		// The loop detector watches in short passes; the second "I am
		// stuck." makes it suspect a loop, and from the next pass on the
		// passes end at the separator: the third repeat is cut there or,
		// when it came in the pass already running, at that pass's end.
		{"loop", func() fakeModel {
			m := defaultModel()
			m.natural = loopScript(20)
			return m
		}, func(q *Request) { q.Budgets.Loop = budget.Ptr(3) }, hooks.ReasonLoop,
			"I am stuck.\n\nI am stuck.\n\nI am stuck.", "Final answer: 4.", nil, -1},
		// A loop detector that suspects nothing: short passes, no stop.
		{"no loop", defaultModel, func(q *Request) { q.Budgets.Loop = budget.Ptr(3) }, "",
			"Step one.\n\nStep two.\n\nStep three.", "The answer is 4.", []string{PassFirst}, 0},
		// Sentence steps cannot be told by one stop sequence: the step
		// budget would close the stream, under the guard.
		{"sentence steps", defaultModel, func(q *Request) {
			q.Budgets.MaxSteps = budget.Ptr(9)
			q.Budgets.StepMode = budget.Ptr(hooks.StepSentence)
		}, "",
			"Step one.\n\nStep two.\n\nStep three.", "The answer is 4.", []string{PassFirst}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, tt.model())
			r, _ := newTestRunner(f)
			q := thinkReq()
			tt.req(q)
			rec, err := r.Run(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if rec.CutReason != tt.cut || rec.Thinking != tt.thinking || rec.Answer != tt.answer {
				t.Errorf("cut %q thinking %q answer %q", rec.CutReason, rec.Thinking, rec.Answer)
			}
			got := slices.DeleteFunc(passKinds(rec), func(k string) bool { return k == PassPrefill })
			if tt.passes != nil && !slices.Equal(got, tt.passes) {
				t.Errorf("passes %v, want %v", got, tt.passes)
			}
			for i, p := range rec.Passes {
				if p.Cancelled {
					t.Errorf("pass %d (%s) was cancelled", i, p.Kind)
				}
			}
			if tt.wasted >= 0 && rec.Metrics.WastedTokens != tt.wasted {
				t.Errorf("wasted %d, want %d", rec.Metrics.WastedTokens, tt.wasted)
			}
			if w := rec.Metrics.WastedTokens; w > watchTokens {
				t.Errorf("wasted %d, more than a watching pass (%d)", w, watchTokens)
			}
			// Every pass after the first (the prefill pass's, when there is
			// one) evaluated at most the new text and what the server's
			// cache lacked: a few tokens.
			start := 1
			if rec.Passes[0].Kind == PassPrefill {
				start = 2
			}
			for i := start; i < len(f.evaluated); i++ {
				if rec.Passes[i].Kind == PassResume {
					continue
				}
				if f.evaluated[i] > 3 {
					t.Errorf("pass %d (%s) evaluated %d prompt tokens", i, rec.Passes[i].Kind, f.evaluated[i])
				}
			}
		})
	}
}
