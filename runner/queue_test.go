package runner

import (
	"strings"
	"testing"
	"time"
)

func TestQueueWait(t *testing.T) {
	pass := func(wall, load, prompt, eval float64) Pass {
		return Pass{WallMS: wall, LoadMS: load, PromptEvalMS: prompt, EvalMS: eval, final: true}
	}
	cases := []struct {
		name   string
		passes []Pass
		want   time.Duration
	}{
		{"no passes", nil, 0},
		{"no wait", []Pass{pass(1210, 200, 10, 1000)}, 0},
		// 2.4 s on the client, 0.4 s at the server: 2 s in its queue.
		{"queued first pass", []Pass{pass(2400, 0, 100, 300)}, 2000 * time.Millisecond},
		{"the longest wait of several", []Pass{pass(900, 0, 10, 100), pass(3100, 0, 50, 50), pass(1500, 0, 0, 100)}, 3000 * time.Millisecond},
		// A long pass with a short unexplained part: the server worked.
		{"wait shorter than the server's work", []Pass{pass(12000, 0, 2000, 9000)}, 0},
		{"under the minimum", []Pass{pass(450, 0, 10, 10)}, 0},
		// A pass closed before its final chunk has no server figures to
		// compare with; one closed after it has.
		{"cancelled", []Pass{{WallMS: 5000, Cancelled: true}}, 0},
		{"cancelled after its final chunk", []Pass{{WallMS: 5000, EvalMS: 1000, Cancelled: true, final: true}}, 4000 * time.Millisecond},
		{"no final chunk", []Pass{{WallMS: 5000}}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := QueueWait(&Record{Passes: tc.passes}).Round(time.Millisecond); got != tc.want {
				t.Errorf("QueueWait = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestQueueWarningOnce(t *testing.T) {
	var qw QueueWatch
	idle := &Record{Passes: []Pass{{WallMS: 100, EvalMS: 90, final: true}}}
	queued := &Record{Passes: []Pass{{WallMS: 2600, EvalMS: 500, final: true}}}
	if w := qw.Warning(idle, true, "advice"); w != "" {
		t.Errorf("warned on a run that did not queue: %q", w)
	}
	// A run alone: its wait is not for a run of this client.
	if w := qw.Warning(queued, false, "advice"); w != "" {
		t.Errorf("warned on a run that overlapped none: %q", w)
	}
	w := qw.Warning(queued, true, "set OLLAMA_NUM_PARALLEL=3")
	if !strings.Contains(w, "2.1s") || !strings.HasSuffix(w, "set OLLAMA_NUM_PARALLEL=3") || strings.Contains(w, "\n") {
		t.Errorf("warning %q: want one line with the wait and the advice", w)
	}
	if w := qw.Warning(queued, true, "advice"); w != "" {
		t.Errorf("warned twice: %q", w)
	}
}

func TestQueueWatchOverlap(t *testing.T) {
	var w QueueWatch
	// One after another: no overlap.
	for range 3 {
		if end := w.Begin(); end() {
			t.Error("a run alone overlapped")
		}
	}
	// a runs; b starts and ends within it; c starts after b ended, while a runs.
	endA := w.Begin()
	endB := w.Begin()
	if !endB() {
		t.Error("b started while a ran: overlapped")
	}
	endC := w.Begin()
	if !endA() {
		t.Error("a saw b and c start: overlapped")
	}
	if !endC() {
		t.Error("c started while a ran: overlapped")
	}
	if end := w.Begin(); end() {
		t.Error("a run alone again overlapped")
	}
}
