package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rein-dev/rein/bench"
	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/models/tiny"
)

// rein bench --suite tiny with no --models runs on the learned tiny reasoner
// and creates it on the server where it is missing; with no budget it gets
// at least 90% of the 184 scored cases (96% measured).
func TestBenchTinySuite(t *testing.T) {
	s := ollamatest.Need(t, srv)
	out := filepath.Join(t.TempDir(), "results.jsonl")
	stdout, stderr, code := reinBench(t, context.Background(), nil,
		"--suite", "tiny", "--host", s.Host, "--budgets", "none", "-o", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum bench.SummaryRecord
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("stdout is not one JSON summary: %v\n%s", err, stdout)
	}
	t.Logf("%+v", sum)
	if sum.Ran != 200 || sum.Unchecked != 16 || sum.Errors != 0 {
		t.Errorf("summary %+v, want 200 runs, 16 unchecked", sum)
	}
	if acc := float64(sum.Passed) / float64(sum.Passed+sum.Failed); acc < 0.9 {
		t.Errorf("accuracy %.3f, want 0.9 or more", acc)
	}
	if !strings.Contains(stderr, "bench: 200 runs of suite tiny: 1 model × 1 budgets") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if !strings.Contains(stderr, "created "+tiny.Name) {
		t.Logf("the model was already on the server:\n%s", stderr)
	}
}
