package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/consensus"
	"github.com/rein-dev/rein/runner"
)

// TestProbesOnServer: answer probes on the real server. On the runaway
// model the probes run at the chosen steps and agree, the thinking is cut
// as settled there, and the answer follows; the trace is the one a step cut
// at the same step gives, no stream is abandoned, and each probe and the
// pass after it reuse the server's cache. 10 runs; REIN_SLOW=1 runs 200.
func TestProbesOnServer(t *testing.T) {
	s := needModels(t)
	n := 10
	if os.Getenv("REIN_SLOW") != "" {
		n = 200
	}
	r := &runner.Runner{Backend: s.Client}
	const prompt = "How many r's in strawberry?"
	run := func(q *runner.Request) *runner.Record {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		q.Model, q.Prompt, q.Think, q.Budgets.MaxTokens = "t/runaway", prompt, budget.Ptr(true), budget.Ptr(4096)
		rec, err := r.Run(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	ref := run(&runner.Request{Budgets: budget.Budgets{MaxSteps: budget.Ptr(4)}})
	closeTag := len(built["t/runaway"].Vocab.Encode("</think>"))
	recovered := 0
	for i := range n {
		before := len(s.CacheSlots())
		rec := run(&runner.Request{ProbeKey: consensus.Normalise, Budgets: budget.Budgets{ExitOnAgreement: budget.Ptr(2), ProbeEvery: budget.Ptr(2)}})
		slots := s.CacheSlots()[before:]
		if rec.CutReason != "settled" || !strings.Contains(rec.Answer, "three r's") {
			t.Fatalf("run %d: cut %q answer %q", i, rec.CutReason, rec.Answer)
		}
		if len(rec.Probes) != 2 || rec.Probes[0].Step != 2 || rec.Probes[1].Step != 4 {
			t.Fatalf("run %d: probes %+v, want at steps 2 and 4", i, rec.Probes)
		}
		for _, p := range rec.Probes {
			if !strings.Contains(p.Answer, "three r's") || p.Confidence <= 0 || p.Tokens == 0 {
				t.Errorf("run %d: probe %+v", i, p)
			}
		}
		if rec.Thinking != ref.Thinking || rec.Steps != 4 {
			t.Errorf("run %d: the probes disturbed the trace:\n%q\nwant\n%q", i, rec.Thinking, ref.Thinking)
		}
		if rec.Metrics.ProbeTokens == 0 || rec.Metrics.WastedTokens != 0 {
			t.Errorf("run %d: probe tokens %d wasted %d", i, rec.Metrics.ProbeTokens, rec.Metrics.WastedTokens)
		}
		for j, p := range rec.Passes {
			if p.Cancelled {
				t.Errorf("run %d: pass %d (%s) was cancelled", i, j, p.Kind)
			}
			// The server's own count (its debug log, one cache slot line
			// per request): a probe evaluates the closing tag and what the
			// cache lacks; the segment after it, a token or two.
			if len(slots) == len(rec.Passes) && j > 0 && (p.Kind == runner.PassProbe || p.Kind == runner.PassSegment && rec.Passes[j-1].Kind == runner.PassProbe) {
				if got := slots[j].Remaining; got > closeTag+2 {
					t.Errorf("run %d: pass %d (%s): the server evaluated %d of %d prompt tokens", i, j, p.Kind, got, slots[j].Prompt)
				}
			}
		}
		if len(slots) != len(rec.Passes) {
			t.Errorf("run %d: %d cache slot lines for %d passes", i, len(slots), len(rec.Passes))
		}
		for _, w := range rec.Warnings {
			if strings.Contains(w, "17131") {
				recovered++
			}
		}
	}
	if recovered != 0 {
		t.Errorf("%d wedge recoveries in %d probed runs", recovered, n)
	}
	t.Logf("%d probed runs: settled at step 4, %d wedge recoveries", n, recovered)
}
