package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchQueueWarning: issue 18's reproducer on the real server, whose
// OLLAMA_NUM_PARALLEL is the default 1. Three runs at once queue at the
// server: the bench warns once with what to set, and the time budget still
// counts thinking, not the queue (every run thinks about as long as its
// budget, with many tokens). One run at a time queues nowhere and gets no
// warning.
func TestBenchQueueWarning(t *testing.T) {
	s := needModels(t)
	dir := t.TempDir()
	suite := filepath.Join(dir, "suite.yaml")
	if err := os.WriteFile(suite, []byte("name: q\ncases:\n  - id: count\n    prompt: \"How many r's are in strawberry?\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const warning = "in the server's queue"
	for _, tc := range []struct {
		parallel string
		warns    int
	}{
		{"3", 1},
		{"1", 0},
	} {
		t.Run("parallel "+tc.parallel, func(t *testing.T) {
			out := filepath.Join(dir, "r"+tc.parallel+".jsonl")
			_, stderr, code := reinBench(t, context.Background(), nil, "--models", "t/runaway", "--suite", suite,
				"--budgets", "think-time=2s+loop=0", "--repeats", "3", "--parallel", tc.parallel, "--host", s.Host, "-o", out)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, l := range strings.Split(stderr, "\n") {
				if strings.Contains(l, warning) {
					t.Log(l)
				}
			}
			if n := strings.Count(stderr, warning); n != tc.warns {
				t.Errorf("%d queue warnings, want %d:\n%s", n, tc.warns, stderr)
			}
			if tc.warns > 0 && !strings.Contains(stderr, "set OLLAMA_NUM_PARALLEL=3 where the server starts, or use a lower --parallel") {
				t.Errorf("the warning does not say what to set:\n%s", stderr)
			}
			recs := rawRecords(t, out)
			if len(recs) != 3 {
				t.Fatalf("%d records, want 3", len(recs))
			}
			for _, rec := range recs {
				m, _ := rec["metrics"].(map[string]any)
				tokens, _ := m["thinking_tokens"].(float64)
				thinkMS, _ := m["thinking_ms"].(float64)
				if str(rec, "cut_reason") != "time" || tokens < 5 || thinkMS < 1000 {
					t.Errorf("%s: cut %q, %v thinking tokens in %v ms: want a time cut after about 2 s of thinking",
						rawKey(rec), str(rec, "cut_reason"), tokens, thinkMS)
				}
			}
		})
	}
}
