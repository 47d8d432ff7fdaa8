package main

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/models/scripted"
	"github.com/rein-dev/rein/runner"
)

// BenchmarkRunVsOllama measures, on a scripted runaway model shaped like a
// real 0.6B 4-bit model (28 layers, Q4_0), rein's client-side thinking
// tokens per second against the server's own eval rate for the same pass
// (the ratio should be at least 0.99), and the tokens wasted by step cuts
// (generated after the cut point and thrown away).
//
//	make bench  (or: go test ./cmd/rein -run '^$' -bench RunVsOllama -benchtime 5x)
func BenchmarkRunVsOllama(b *testing.B) {
	s := srv
	if s == nil {
		b.Skip("no ollama server")
	}
	ctx := context.Background()
	createRunaway06b(ctx, b, s)
	r := &runner.Runner{Backend: s.Client}
	// Warm up: load the model at the context size the runs use.
	if _, err := r.Run(ctx, &runner.Request{Model: "b/runaway-0.6b", Prompt: "Warm up.", Think: budget.Ptr(true), NumCtx: 4096, Budgets: budget.Budgets{MaxThinkTokens: budget.Ptr(8), OnLimit: budget.Ptr(runner.OnLimitStop)}}); err != nil {
		b.Fatal(err)
	}
	var ratio, clientTPS, serverTPS, wasted float64
	var cuts int
	b.ResetTimer()
	for b.Loop() {
		rec, err := r.Run(ctx, &runner.Request{Model: "b/runaway-0.6b", Prompt: "How many r's are in strawberry?", Think: budget.Ptr(true), NumCtx: 4096, Budgets: budget.Budgets{MaxThinkTokens: budget.Ptr(300), OnLimit: budget.Ptr(runner.OnLimitStop)}})
		if err != nil {
			b.Fatal(err)
		}
		var first runner.Pass
		for _, p := range rec.Passes {
			if p.Kind == runner.PassFirst {
				first = p
			}
		}
		if first.EvalMS == 0 {
			b.Fatalf("first pass has no server figures: %+v", rec.Passes)
		}
		server := float64(first.EvalCount) / first.EvalMS * 1000
		clientTPS += rec.Metrics.ThinkingTPS
		serverTPS += server
		ratio += rec.Metrics.ThinkingTPS / server

		cut, err := r.Run(ctx, &runner.Request{Model: "b/runaway-0.6b", Prompt: "How many r's are in strawberry?", Think: budget.Ptr(true), NumCtx: 4096, Budgets: budget.Budgets{MaxSteps: budget.Ptr(3), OnLimit: budget.Ptr(runner.OnLimitStop)}})
		if err != nil {
			b.Fatal(err)
		}
		wasted += float64(cut.Metrics.WastedTokens)
		cuts++
	}
	n := float64(b.N)
	b.ReportMetric(clientTPS/n, "client-tok/s")
	b.ReportMetric(serverTPS/n, "server-tok/s")
	b.ReportMetric(ratio/n, "client/server")
	b.ReportMetric(wasted/float64(cuts), "wasted-tok/cut")
}

// BenchmarkSegments measures, on the same 0.6B-shaped runaway model, the
// thinking tokens per second of a run generated in segments (a stop
// sequence at every step separator, as a step budget or the loop detector
// makes it) against the same segmentTokens tokens as one uninterrupted
// stream, side by side in one run, the two in turn (which goes first
// alternates). The ratio should be at least 0.99. The rate is the user's:
// thinking tokens over the time from the first thinking token to the last,
// on the client's clock, gaps between segments included. Also reported:
// what each segment boundary costs (gap-ms/segment, the segmented run's
// extra thinking time per boundary; eval-tok/segment, the prompt tokens
// the server evaluated for each segment) beside the time of one token
// (decode-ms/tok), and the median of the pairs' ratios. Both runs ask for
// num_thread 1, which on a busy two-core machine decodes far faster than
// two runner threads waiting on each other.
//
//	go test ./cmd/rein -run '^$' -bench Segments -benchtime 3x
func BenchmarkSegments(b *testing.B) {
	s := srv
	if s == nil {
		b.Skip("no ollama server")
	}
	ctx := context.Background()
	createRunaway06b(ctx, b, s)
	r := &runner.Runner{Backend: s.Client}
	req := func(segmented bool) *runner.Request {
		q := &runner.Request{Model: "b/runaway-0.6b", Prompt: "How many r's are in strawberry?", Think: budget.Ptr(true), NumCtx: 4096,
			Options: map[string]any{"num_thread": 1},
			Budgets: budget.Budgets{MaxThinkTokens: budget.Ptr(segmentTokens), OnLimit: budget.Ptr(runner.OnLimitStop)}}
		if segmented {
			q.Budgets.MaxSteps = budget.Ptr(1000) // never reached: only the segments differ
		}
		return q
	}
	if _, err := r.Run(ctx, req(false)); err != nil { // warm up
		b.Fatal(err)
	}
	var whole, seg, ratio, passes, gap, evalTok, segments, decode float64
	var ratios []float64
	i := 0
	b.ResetTimer()
	for b.Loop() {
		var a, c *runner.Record
		for _, segmented := range []bool{i%2 == 1, i%2 == 0} {
			rec, err := r.Run(ctx, req(segmented))
			if err != nil {
				b.Fatal(err)
			}
			if segmented {
				c = rec
			} else {
				a = rec
			}
		}
		i++
		if a.Thinking != c.Thinking || a.Metrics.ThinkingTokens != c.Metrics.ThinkingTokens {
			b.Fatalf("the segmented run thought otherwise: %d vs %d tokens", c.Metrics.ThinkingTokens, a.Metrics.ThinkingTokens)
		}
		whole += a.Metrics.ThinkingTPS
		seg += c.Metrics.ThinkingTPS
		ratio += c.Metrics.ThinkingTPS / a.Metrics.ThinkingTPS
		ratios = append(ratios, c.Metrics.ThinkingTPS/a.Metrics.ThinkingTPS)
		passes += float64(len(c.Passes) - 1)
		n := 0
		for _, p := range c.Passes {
			if p.Kind == runner.PassSegment {
				n++
				evalTok += float64(p.ResumeEvalTokens)
			}
		}
		if n > 0 {
			gap += (c.Metrics.ThinkingMS - a.Metrics.ThinkingMS) / float64(n)
		}
		segments += float64(n)
		decode += a.Metrics.ThinkingMS / float64(a.Metrics.ThinkingTokens)
	}
	n := float64(b.N)
	b.ReportMetric(whole/n, "stream-tok/s")
	b.ReportMetric(seg/n, "segmented-tok/s")
	b.ReportMetric(ratio/n, "segmented/stream")
	// The median pair: one pair that a busy machine slowed weighs less.
	slices.Sort(ratios)
	b.ReportMetric((ratios[(len(ratios)-1)/2]+ratios[len(ratios)/2])/2, "segmented/stream-p50")
	b.ReportMetric(passes/n, "passes/run")
	b.ReportMetric(gap/n, "gap-ms/segment")
	b.ReportMetric(decode/n, "decode-ms/tok")
	if segments > 0 {
		b.ReportMetric(evalTok/segments, "eval-tok/segment")
	}
}

// segmentTokens is the thinking of one BenchmarkSegments run: enough for
// several segments of the runaway model's steps, few enough that a run
// takes seconds, not minutes, where the 0.6B-shaped model decodes at a few
// tokens a second.
const segmentTokens = 48

// createRunaway06b creates b/runaway-0.6b on the server: the runaway
// reasoner with the per-token cost of a real 0.6B 4-bit model.
func createRunaway06b(ctx context.Context, b *testing.B, s *ollamatest.Server) {
	b.Helper()
	spec := testModels["t/runaway"]
	spec.Size = scripted.Presets["0.6b"]
	m, err := scripted.Build(spec)
	if err != nil {
		b.Fatal(err)
	}
	dir, _ := os.MkdirTemp("", "rein-bench-*")
	defer os.RemoveAll(dir)
	if err := scripted.Create(ctx, s.Client, "b/runaway-0.6b", m, dir); err != nil {
		b.Fatal(err)
	}
}
