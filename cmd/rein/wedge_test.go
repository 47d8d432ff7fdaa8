package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rein-dev/rein/runner"
)

// TestManyCutsNeverHang cuts the runaway model 150 times in a row on the
// real server. Ollama 0.17.4 loses a runner slot now and then when a client
// leaves mid-stream (ollama/ollama#17131), which without runner/wedge.go
// hangs the next request forever; with it every run finishes. Slow (about
// 25s), so it runs with REIN_SLOW=1.
func TestManyCutsNeverHang(t *testing.T) {
	if os.Getenv("REIN_SLOW") == "" {
		t.Skip("set REIN_SLOW=1 to run")
	}
	s := needModels(t)
	r := &runner.Runner{Backend: s.Client}
	recovered := 0
	for i := range 150 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		rec, err := r.Run(ctx, &runner.Request{Model: "t/runaway", Prompt: "How many r's in strawberry?", Think: true, MaxSteps: 1, MaxTokens: 4096})
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
				t.Logf("run %d: %s", i, w)
			}
		}
	}
	t.Logf("150 cut runs; the server wedged and rein recovered %d times", recovered)
}
