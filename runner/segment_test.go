package runner

import (
	"context"
	"slices"
	"testing"

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
			q.MaxSteps = 1
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
		{"two steps", defaultModel, func(q *Request) { q.MaxSteps = 2 }, hooks.ReasonSteps,
			"Step one.\n\nStep two.", "Final answer: 4.", []string{PassPrefill, PassFirst, PassSegment, PassResume}, 0},
		// The loop detector decides on the step event of the third
		// repeat, which is where the server ended the pass.
		{"loop", func() fakeModel {
			m := defaultModel()
			m.natural = loopScript(20)
			return m
		}, func(q *Request) { q.Loop = 3 }, hooks.ReasonLoop,
			"I am stuck.\n\nI am stuck.\n\nI am stuck.", "Final answer: 4.", []string{PassPrefill, PassFirst, PassSegment, PassSegment, PassResume}, 0},
		// The model closes its thinking in a segmented pass: the
		// separator after the tag stops the pass, and the answer goes on
		// without a stop.
		{"no cut", defaultModel, func(q *Request) { q.Loop = 3 }, "",
			"Step one.\n\nStep two.\n\nStep three.", "The answer is 4.", []string{PassPrefill, PassFirst, PassSegment, PassSegment, PassContinue}, 0},
		// Sentence steps cannot be told by one stop sequence: one stream.
		{"sentence steps", defaultModel, func(q *Request) { q.Loop = 3; q.StepMode = hooks.StepSentence }, "",
			"Step one.\n\nStep two.\n\nStep three.", "The answer is 4.", []string{PassPrefill, PassFirst}, 0},
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
			if got := passKinds(rec); !slices.Equal(got, tt.passes) {
				t.Errorf("passes %v, want %v", got, tt.passes)
			}
			for i, p := range rec.Passes {
				if p.Cancelled {
					t.Errorf("pass %d (%s) was cancelled", i, p.Kind)
				}
			}
			if rec.Metrics.WastedTokens != tt.wasted {
				t.Errorf("wasted %d, want %d", rec.Metrics.WastedTokens, tt.wasted)
			}
			// Every pass after the prefill evaluated at most the new text
			// and what the server's cache lacked: a few tokens.
			for i := 2; i < len(f.evaluated); i++ {
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
