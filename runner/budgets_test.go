package runner

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
)

func TestRunMinSteps(t *testing.T) {
	f := newFakeServer(t, defaultModel())
	r, _ := newTestRunner(f)
	q := thinkReq()
	q.Budgets.MinSteps = budget.Ptr(4)
	rec, err := r.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.reqs()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	// The closing tag is dropped and "Wait" appended.
	want := basePrompt + "<think>\nStep one.\n\nStep two.\n\nStep three.\n\nWait"
	if reqs[2].Prompt != want {
		t.Errorf("wait prompt %q\nwant %q", reqs[2].Prompt, want)
	}
	checkRawRequest(t, 2, reqs[2])
	if got, want := passKinds(rec), []string{PassPrefill, PassFirst, PassWait}; !slices.Equal(got, want) {
		t.Errorf("passes %v", got)
	}
	if rec.Thinking != "Step one.\n\nStep two.\n\nStep three.\n\nWait, let me re-check." || rec.Answer != "4." {
		t.Errorf("thinking %q answer %q", rec.Thinking, rec.Answer)
	}
	if rec.Steps != 4 || rec.CutReason != "" {
		t.Errorf("steps %d cut %q", rec.Steps, rec.CutReason)
	}
	// The dropped closing tag (and the blank line sent with it, if any) is
	// wasted; the "Wait" is new to the server.
	if rec.Metrics.WastedTokens < 1 {
		t.Errorf("wasted %d", rec.Metrics.WastedTokens)
	}
	if w := rec.Passes[2]; w.ResumeEvalEstimate || w.ResumeEvalTokens != f.evaluated[2] {
		t.Errorf("wait pass evaluated %d (estimate %v), fake %d", w.ResumeEvalTokens, w.ResumeEvalEstimate, f.evaluated[2])
	}
}

func TestRunMinStepsBounded(t *testing.T) {
	// The model keeps closing after one more step: the runner asks again,
	// up to MinSteps times in all.
	f := newFakeServer(t, defaultModel())
	r, _ := newTestRunner(f)
	q := thinkReq()
	q.Budgets.MinSteps = budget.Ptr(5)
	rec, err := r.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Steps != 5 || len(rec.Passes) != 4 || rec.Answer != "4." {
		t.Errorf("steps %d passes %v answer %q", rec.Steps, passKinds(rec), rec.Answer)
	}
}

func TestRunAnswerLimits(t *testing.T) {
	t.Run("answer cap on a pass that thinks", func(t *testing.T) {
		f := newFakeServer(t, defaultModel())
		r, _ := newTestRunner(f)
		q := thinkReq()
		q.Budgets.MaxAnswerTokens = budget.Ptr(2)
		rec, err := r.Run(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Answer != "The answer" || rec.DoneReason != "length" || rec.Metrics.AnswerTokens != 2 {
			t.Errorf("answer %q done %q tokens %d", rec.Answer, rec.DoneReason, rec.Metrics.AnswerTokens)
		}
		// The thinking leaves room for the answer within the cap, and
		// within the context (contextBound).
		if np, _ := f.reqs()[1].Options["num_predict"].(float64); np > float64(DefaultMaxTokens-2) || int(np)+2 > rec.Budgets.NumCtx {
			t.Errorf("num_predict %v (num_ctx %d): room for the answer not kept", np, rec.Budgets.NumCtx)
		}
	})
	t.Run("a reopened tag ends the resumed answer", func(t *testing.T) {
		m := defaultModel()
		m.resume = []string{"\n\n", "Final", " answer", ".", "<think>", "\n", "More", "."}
		f := newFakeServer(t, m)
		r, _ := newTestRunner(f)
		q := thinkReq()
		q.Budgets.MaxSteps = budget.Ptr(1)
		rec, err := r.Run(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Answer != "Final answer." || rec.DoneReason != "stop" || rec.Metrics.AnswerTokens != 3 {
			t.Errorf("answer %q done %q tokens %d", rec.Answer, rec.DoneReason, rec.Metrics.AnswerTokens)
		}
		if p := passOf(rec, PassResume); !p.Cancelled || p.Wasted < 1 {
			t.Errorf("resume pass %+v", p)
		}
	})
	t.Run("context sized for think and answer budgets", func(t *testing.T) {
		f := newFakeServer(t, defaultModel())
		r, _ := newTestRunner(f)
		q := thinkReq()
		q.Budgets.MaxThinkTokens, q.Budgets.MaxAnswerTokens = budget.Ptr(1000), budget.Ptr(500)
		rec, err := r.Run(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Budgets.NumCtx != 4096 || f.reqs()[1].Options["num_ctx"] != 4096.0 {
			t.Errorf("num_ctx %d", rec.Budgets.NumCtx)
		}
	})
}

func TestRunCutByTime(t *testing.T) {
	f := newFakeServer(t, defaultModel())
	r, _ := newTestRunner(f)
	q := thinkReq()
	q.Budgets.MaxThinkTime = budget.Ptr(25 * time.Millisecond)
	rec, err := r.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	// Tokens arrive at 10, 20, ... ms: the tag, then thinking tokens; the
	// thinking clock starts at the first of them (20ms), so the one at
	// 50ms, the fourth, is the first past the budget. The first pass is
	// a short segment (the rate is not known yet) that the server ends;
	// the cut waits for it, and what came after the cut point is wasted.
	if rec.CutReason != hooks.ReasonTime || rec.Metrics.ThinkingTokens != 4 || rec.Thinking != "Step one." {
		t.Errorf("cut %q thinking tokens %d %q", rec.CutReason, rec.Metrics.ThinkingTokens, rec.Thinking)
	}
	reqs := f.reqs()
	if want := cutResumePrompt("<think>\nStep one."); reqs[len(reqs)-1].Prompt != want {
		t.Errorf("resume prompt %q", reqs[len(reqs)-1].Prompt)
	}
}

func TestRunStopPolicy(t *testing.T) {
	f := newFakeServer(t, defaultModel())
	r, _ := newTestRunner(f)
	q := thinkReq()
	q.Budgets.MaxSteps = budget.Ptr(2)
	q.Budgets.OnLimit = budget.Ptr(OnLimitStop)
	rec, err := r.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if rec.CutReason != hooks.ReasonSteps || rec.Answer != "" || rec.Thinking != "Step one.\n\nStep two." {
		t.Errorf("cut %q thinking %q answer %q", rec.CutReason, rec.Thinking, rec.Answer)
	}
	// One pass per step, each ended by the server at the separator; no
	// prefill pass, since no pass is closed early.
	if got, want := passKinds(rec), []string{PassFirst, PassSegment}; !slices.Equal(got, want) {
		t.Errorf("passes %v, want %v (no resume)", got, want)
	}
	if rec.DoneReason != "stop" || rec.Passes[1].Cancelled {
		t.Errorf("done reason %q, cancelled %v: the server ended the pass", rec.DoneReason, rec.Passes[1].Cancelled)
	}
}
