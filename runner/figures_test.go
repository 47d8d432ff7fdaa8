package runner

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
)

// passOf returns the last pass of kind, or a zero Pass.
func passOf(rec *Record, kind string) Pass {
	for i := len(rec.Passes) - 1; i >= 0; i-- {
		if rec.Passes[i].Kind == kind {
			return rec.Passes[i]
		}
	}
	return Pass{}
}

// TestPrefillOnlyWhereNeeded: a run whose passes all end on the server's
// own done sends no prefill pass, and takes the load and prompt figures
// from the first pass; a hook that may cut sends one, a hook that only
// watches does not.
func TestPrefillOnlyWhereNeeded(t *testing.T) {
	cutter := hooks.Func(func(context.Context, *hooks.Event) hooks.Decision { return hooks.Decision{} })
	watcher := hooks.Watch(func(context.Context, *hooks.Event) {})
	for _, tc := range []struct {
		name    string
		edit    func(q *Request)
		prefill bool
	}{
		{"no budgets", func(q *Request) {}, false},
		{"steps, segmented", func(q *Request) { q.Budgets.MaxSteps = budget.Ptr(2) }, false},
		{"loop, segmented", func(q *Request) { q.Budgets.Loop = budget.Ptr(3) }, false},
		{"tokens", func(q *Request) { q.Budgets.MaxThinkTokens = budget.Ptr(5) }, false},
		{"time, segmented", func(q *Request) { q.Budgets.MaxThinkTime = budget.Ptr[time.Duration](1 << 40) }, false},
		{"a hook that only watches", func(q *Request) { q.Hooks = []hooks.Hook{watcher, hooks.NewEventLog(nopWriter{})} }, false},
		{"a language switch that warns", func(q *Request) { q.Hooks = []hooks.Hook{&hooks.LanguageSwitch{}} }, false},
		{"a hook that may cut", func(q *Request) { q.Hooks = []hooks.Hook{cutter} }, true},
		{"a language switch that cuts", func(q *Request) { q.Hooks = []hooks.Hook{&hooks.LanguageSwitch{Cut: true}} }, true},
		{"sentence steps close the stream", func(q *Request) {
			q.Budgets.MaxSteps = budget.Ptr(2)
			q.Budgets.StepMode = budget.Ptr(hooks.StepSentence)
		}, true},
		{"min steps", func(q *Request) { q.Budgets.MinSteps = budget.Ptr(4) }, true},
		{"answer cap", func(q *Request) { q.Budgets.MaxAnswerTokens = budget.Ptr(2) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeServer(t, defaultModel())
			r, _ := newTestRunner(f)
			q := thinkReq()
			tc.edit(q)
			rec, err := r.Run(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if got := rec.Passes[0].Kind == PassPrefill; got != tc.prefill {
				t.Errorf("prefill pass %v, want %v (passes %v)", got, tc.prefill, passKinds(rec))
			}
			m := rec.Metrics
			prompt := len(f.tokenize(basePrompt))
			if m.PromptTokens != prompt || m.LoadMS != 1 || m.PromptMS != float64(prompt) {
				t.Errorf("prompt %d tokens in %vms, load %vms: want the first request's %d, %d, 1", m.PromptTokens, m.PromptMS, m.LoadMS, prompt, prompt)
			}
			// Every generated token is thinking, answer, wasted or other.
			if got := m.ThinkingTokens + m.AnswerTokens + m.WastedTokens + m.OtherTokens + m.ProbeTokens; got != m.EvalCount {
				t.Errorf("eval count %d, thinking %d + answer %d + wasted %d + other %d = %d (passes %+v)",
					m.EvalCount, m.ThinkingTokens, m.AnswerTokens, m.WastedTokens, m.OtherTokens, got, rec.Passes)
			}
			if m.EvalTPS == 0 || !near(m.EvalTPS, float64(m.EvalCount)/m.EvalMS*1000) {
				t.Errorf("eval rate %v for %d tokens in %vms", m.EvalTPS, m.EvalCount, m.EvalMS)
			}
		})
	}
}

type nopWriter struct{}

func (nopWriter) Write(b []byte) (int, error) { return len(b), nil }

// TestFiguresFromTheRequest: the times a user waits count from the request,
// the prefill pass included; the run's clock starts after it.
func TestFiguresFromTheRequest(t *testing.T) {
	f := newFakeServer(t, defaultModel())
	r, _ := newTestRunner(f)
	q := thinkReq()
	q.Hooks = []hooks.Hook{hooks.Func(func(context.Context, *hooks.Event) hooks.Decision { return hooks.Decision{} })}
	rec, err := r.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	m := rec.Metrics
	// The prefill pass takes 20ms on the fake clock (a chunk and the final
	// one); the first pass's chunks come 10ms apart after it.
	if m.ClockMS != 20 || m.TTFTMS != 30 || m.TTFAMS != 190 || m.WallMS != 240 {
		t.Errorf("clock %v ttft %v ttfa %v wall %v, want 20 30 190 240", m.ClockMS, m.TTFTMS, m.TTFAMS, m.WallMS)
	}
	if rec.TokenMS[0] != 20 {
		t.Errorf("token times %v: the run's clock", rec.TokenMS)
	}
}

// TestSumPasses: a cancelled pass counts what rein received, on rein's
// clock, and says so; the prefill pass's token is not counted; resume
// figures add up resumes only.
func TestSumPasses(t *testing.T) {
	ps := []Pass{
		{Kind: PassPrefill, LoadMS: 100, PromptEvalCount: 30, PromptEvalMS: 50, EvalCount: 1, EvalMS: 2, final: true},
		{Kind: PassFirst, Tokens: 40, Wasted: 3, Cancelled: true, WallMS: 400},
		{Kind: PassResume, PromptEvalCount: 85, PromptEvalMS: 10, EvalCount: 6, EvalMS: 60, Tokens: 5, DoneReason: "stop",
			ResumeEvalTokens: 20, ResumeEvalSource: SourceCounted, final: true},
	}
	var m Metrics
	sumPasses(ps, &m)
	if m.LoadMS != 100 || m.PromptTokens != 30 || m.PromptMS != 50 || m.PrefillTPS != 600 {
		t.Errorf("load %v prompt %d in %v (%v/s)", m.LoadMS, m.PromptTokens, m.PromptMS, m.PrefillTPS)
	}
	if m.EvalCount != 46 || m.EvalMS != 460 || !near(m.EvalTPS, 100) || !slices.Equal(m.ClientMeasured, []string{"eval_count", "eval_ms"}) {
		t.Errorf("eval %d in %v (%v/s), client measured %v", m.EvalCount, m.EvalMS, m.EvalTPS, m.ClientMeasured)
	}
	if !ps[1].ClientMeasured || ps[2].ClientMeasured {
		t.Errorf("client measured passes: %v %v", ps[1].ClientMeasured, ps[2].ClientMeasured)
	}
	if m.Resumes != 1 || m.ResumePromptTokens != 85 || m.ResumeEvalTokens != 20 || m.ResumePromptMS != 10 || m.WastedTokens != 3 || m.OtherTokens != 1 {
		t.Errorf("resumes %d: %d of %d in %v; wasted %d other %d", m.Resumes, m.ResumeEvalTokens, m.ResumePromptTokens, m.ResumePromptMS, m.WastedTokens, m.OtherTokens)
	}
	// A segment is no resume.
	var m2 Metrics
	sumPasses([]Pass{{Kind: PassFirst, final: true, PromptEvalCount: 9}, {Kind: PassSegment, PromptEvalCount: 20, ResumeEvalTokens: 1, final: true}}, &m2)
	if m2.Resumes != 0 || m2.ResumeEvalTokens != 0 || m2.ResumePromptTokens != 0 || m2.PromptTokens != 9 {
		t.Errorf("segments counted as resumes: %+v", m2)
	}
}

func TestTruncated(t *testing.T) {
	for _, tc := range []struct {
		done          string
		answer, limit int
		want          string
	}{
		{"length", 4, 4, "max-answer-tokens"},
		{"length", 4, 0, "max-tokens"},
		{"stop", 4, 4, ""},
		{"length", 0, 4, ""},
	} {
		rec := &Record{Ending: Ending{DoneReason: tc.done}, Metrics: Metrics{AnswerTokens: tc.answer}, Budgets: Budgets{MaxAnswerTokens: tc.limit}}
		if got := rec.Truncated(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc, got, tc.want)
		}
	}
}
