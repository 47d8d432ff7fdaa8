package main

import (
	"context"
	"os"
	"testing"

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
	r := &runner.Runner{Backend: s.Client}
	// Warm up: load the model at the context size the runs use.
	if _, err := r.Run(ctx, &runner.Request{Model: "b/runaway-0.6b", Prompt: "Warm up.", Think: true, MaxThinkTokens: 8, NumCtx: 4096, OnLimit: runner.OnLimitStop}); err != nil {
		b.Fatal(err)
	}
	var ratio, clientTPS, serverTPS, wasted float64
	var cuts int
	b.ResetTimer()
	for b.Loop() {
		rec, err := r.Run(ctx, &runner.Request{Model: "b/runaway-0.6b", Prompt: "How many r's are in strawberry?", Think: true,
			MaxThinkTokens: 300, NumCtx: 4096, OnLimit: runner.OnLimitStop})
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

		cut, err := r.Run(ctx, &runner.Request{Model: "b/runaway-0.6b", Prompt: "How many r's are in strawberry?", Think: true,
			MaxSteps: 3, NumCtx: 4096, OnLimit: runner.OnLimitStop})
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
