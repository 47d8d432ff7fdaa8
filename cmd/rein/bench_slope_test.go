package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rein-dev/rein/bench"
	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/models/scripted"
)

// TestBenchSlope measures, on this machine, how decode speed falls with the
// length of the thinking trace on a model with the per-token cost of a real
// 0.6B 4-bit model: a scripted runaway reasoner of scripted.Presets["0.6b"]
// size (about 260 MB of GGUF) thinks 2000 tokens with the loop cut off,
// three times, and bench.Slope fits the speed curve. It takes many minutes
// on two cores, so it runs only with REIN_SLOW=1:
//
//	REIN_SLOW=1 go test ./cmd/rein/ -run TestBenchSlope -v -timeout 90m
//
// REIN_SLOPE_TOKENS and REIN_SLOPE_REPEATS change the length and the
// number of runs. With REIN_SLOPE_DIR the results (slope.jsonl) and the
// report stay in that folder, and a run killed halfway resumes there.
func TestBenchSlope(t *testing.T) {
	if os.Getenv("REIN_SLOW") == "" {
		t.Skip("slow: set REIN_SLOW=1")
	}
	s := ollamatest.Need(t, srv)
	ctx := context.Background()
	spec := scripted.DemoModels()[0].Spec
	spec.Size = scripted.Presets["0.6b"]
	m, err := scripted.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	const model = "t/runaway-0.6b"
	if err := scripted.Create(ctx, s.Client, model, m, tmp); err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("REIN_SLOPE_DIR")
	if dir == "" {
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	suite := filepath.Join(tmp, "slope.yaml")
	if err := os.WriteFile(suite, []byte("name: slope\ncases:\n  - id: long\n    prompt: \"How many r's are in strawberry?\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	think, repeats := 2000, 3
	if v := os.Getenv("REIN_SLOPE_TOKENS"); v != "" {
		fmt.Sscan(v, &think)
	}
	if v := os.Getenv("REIN_SLOPE_REPEATS"); v != "" {
		fmt.Sscan(v, &repeats)
	}
	out := filepath.Join(dir, "slope.jsonl")
	args := []string{"--models", model, "--suite", suite, "--host", s.Host,
		"--budgets", fmt.Sprintf("think-tokens=%d+loop=0", think), "--repeats", fmt.Sprint(repeats),
		"--max-tokens", fmt.Sprint(think + 100), "-o", out}
	start := time.Now()
	stdout, stderr, code := reinBench(t, ctx, nil, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Logf("rein bench %s\n%s%s(%s)", strings.Join(args, " "), stderr, stdout, time.Since(start).Round(time.Second))
	results, _, err := bench.LoadResults(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != repeats {
		t.Fatalf("%d results, want %d", len(results), repeats)
	}
	for _, r := range results {
		if r.CutReason != "tokens" || int(r.Metrics.ThinkingTokens) != think {
			t.Errorf("run %d: cut %q after %v thinking tokens, want tokens after %d", r.Repeat, r.CutReason, r.Metrics.ThinkingTokens, think)
		}
		t.Logf("run %d: %v thinking tokens at %.2f tok/s (server's eval rate %.2f), wall %.1fs",
			r.Repeat, r.Metrics.ThinkingTokens, r.Metrics.ThinkingTPS, r.Metrics.EvalTPS, r.Metrics.WallMS/1000)
	}
	curves := bench.SpeedCurves(results, 0)
	pts := curves[model]
	for _, p := range pts {
		t.Logf("  position %6.0f: %6.2f tok/s over %d intervals", p.Pos, p.TPS, p.N)
	}
	slope, ok := bench.Slope(results)[model]
	if !ok || len(pts) < 2 {
		t.Fatalf("no slope: %v", bench.Slope(results))
	}
	t.Logf("slope: %.2f tok/s lost per 1k tokens of context (%.2f tok/s at position %.0f, %.2f at %.0f)",
		slope, pts[0].TPS, pts[0].Pos, pts[len(pts)-1].TPS, pts[len(pts)-1].Pos)
	if pts[len(pts)-1].TPS >= pts[0].TPS {
		t.Errorf("decode did not slow down along the trace: %.2f tok/s at the start, %.2f at the end", pts[0].TPS, pts[len(pts)-1].TPS)
	}
	ios, _, _ := testStreams("")
	if err := reportRun(ctx, &ReportOptions{IO: ios, Results: []string{out}, Out: filepath.Join(dir, "report")}); err != nil {
		t.Error(err)
	}
}
