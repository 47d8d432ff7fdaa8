package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/runner"
)

// TestStepCutsNeverAbandon cuts the runaway model by steps many times in a
// row on the real server. Ollama loses a runner slot now and then when a
// client leaves mid-stream (ollama/ollama#17131, still open in v0.34.4);
// rein's step cuts no longer leave: each pass is ended by the server at the
// step separator (runner/segment.go). So no run needs the wedge guard, no
// token is wasted, and the resume evaluates at most the budget message, the
// closing tag and two tokens. 60 runs here; REIN_SLOW=1 runs 600.
func TestStepCutsNeverAbandon(t *testing.T) {
	s := needModels(t)
	n := 60
	if os.Getenv("REIN_SLOW") != "" {
		n = 600
	}
	ctx := context.Background()
	const prompt = "How many r's in strawberry?"
	r := &runner.Runner{Backend: s.Client}
	suffix := -1

	recovered, cancelled := 0, 0
	start := time.Now()
	for i := range n {
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		rec, err := r.Run(rctx, &runner.Request{Model: "t/runaway", Prompt: prompt, Think: budget.Ptr(true), Budgets: budget.Budgets{MaxSteps: budget.Ptr(1), MaxTokens: budget.Ptr(4096)}})
		cancel()
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if rec.CutReason != "steps" || !strings.Contains(rec.Answer, "three r's") {
			t.Fatalf("run %d: cut %q answer %q", i, rec.CutReason, rec.Answer)
		}
		for _, w := range rec.Warnings {
			if strings.Contains(w, "17131") {
				recovered++
				t.Errorf("run %d: %s", i, w)
			}
		}
		for _, p := range rec.Passes {
			if p.Cancelled {
				cancelled++
			}
		}
		if rec.Metrics.WastedTokens != 0 {
			t.Errorf("run %d: wasted %d tokens", i, rec.Metrics.WastedTokens)
		}
		if suffix < 0 {
			// The budget message and the closing tag, in the model's own tokens.
			suffix = len(built["t/runaway"].Vocab.Encode(rec.Budgets.BudgetMessage + "</think>"))
		}
		if got := rec.Metrics.ResumeEvalTokens; got < 1 || got > suffix+2 {
			t.Errorf("run %d: the resume evaluated %d prompt tokens, want 1..%d (budget message and closing tag %d, + 2)", i, got, suffix+2, suffix)
		}
	}
	if cancelled != 0 {
		t.Errorf("%d passes were cancelled by rein", cancelled)
	}
	t.Logf("%d step cuts in %s: %d passes cancelled, %d wedge recoveries", n, time.Since(start).Round(time.Second), cancelled, recovered)
}

// TestHookCutsRecover cuts the runaway model with an external-hook style
// cut, which still closes the stream at the token it names, 150 times in a
// row. Ollama 0.17.4 loses the runner slot now and then; the guard
// (runner/wedge.go) recovers and every run finishes. Slow, so it runs with
// REIN_SLOW=1.
func TestHookCutsRecover(t *testing.T) {
	if os.Getenv("REIN_SLOW") == "" {
		t.Skip("set REIN_SLOW=1 to run")
	}
	s := needModels(t)
	r := &runner.Runner{Backend: s.Client}
	cut := hooks.Func(func(_ context.Context, ev *hooks.Event) hooks.Decision {
		if ev.Kind == hooks.KindStep && ev.Steps >= 1 {
			return hooks.Decision{Action: hooks.Cut}
		}
		return hooks.Decision{}
	})
	recovered := 0
	for i := range 150 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		rec, err := r.Run(ctx, &runner.Request{Model: "t/runaway", Prompt: "How many r's in strawberry?", Think: budget.Ptr(true), Hooks: []hooks.Hook{cut}, Budgets: budget.Budgets{MaxTokens: budget.Ptr(4096)}})
		cancel()
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if rec.CutReason != hooks.ReasonHook || !strings.Contains(rec.Answer, "three r's") {
			t.Fatalf("run %d: cut %q answer %q", i, rec.CutReason, rec.Answer)
		}
		for _, w := range rec.Warnings {
			if strings.Contains(w, "17131") {
				recovered++
				t.Logf("run %d: %s", i, w)
			}
		}
	}
	t.Logf("150 hook cuts; the server wedged and rein recovered %d times", recovered)
}
