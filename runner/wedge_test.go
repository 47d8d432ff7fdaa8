package runner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestRunRecoversFromWedgedServer plays Ollama's lost-slot bug
// (ollama/ollama#17131) on the FAKE server: the cut leaves the server
// wedged, the resume pass hangs, and the guard unloads the model and sends
// the pass again.
func TestRunRecoversFromWedgedServer(t *testing.T) {
	tests := []struct {
		name    string
		stall   time.Duration
		recover bool
	}{
		{"guard on", 200 * time.Millisecond, true},
		{"guard off", -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := defaultModel()
			m.blockAfter = 8
			m.wedgeOnCut = true
			f := newFakeServer(t, m)
			r, _ := newTestRunner(f)
			r.StallTimeout = tt.stall
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			q := thinkReq()
			q.MaxSteps = 1
			rec, err := r.Run(ctx, q)

			// The fake counts a stalled request once it sees the client
			// go, which may come just after Run returns.
			var stalled, unloads int
			for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				f.mu.Lock()
				stalled, unloads = f.stalled, f.unloads
				f.mu.Unlock()
				if stalled > 0 || time.Now().After(deadline) {
					break
				}
			}
			if stalled == 0 {
				t.Fatalf("the fake never wedged (err %v); the test proves nothing", err)
			}
			if !tt.recover {
				if !errors.Is(err, context.DeadlineExceeded) || unloads != 0 {
					t.Fatalf("without the guard: err %v, %d unloads; want a hang until the deadline", err, unloads)
				}
				return
			}
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if rec.CutReason != "steps" || rec.Answer != "Final answer: 4." {
				t.Errorf("cut %q answer %q", rec.CutReason, rec.Answer)
			}
			if stalled != 1 || unloads != 1 {
				t.Errorf("%d stalled requests, %d unloads; want 1 and 1", stalled, unloads)
			}
			if len(rec.Warnings) != 1 || !strings.Contains(rec.Warnings[0], "ollama/ollama#17131") {
				t.Errorf("warnings %q", rec.Warnings)
			}
			if isSuspect("fake") {
				t.Error("the model is still a suspect after a finished pass")
			}
		})
	}
}
