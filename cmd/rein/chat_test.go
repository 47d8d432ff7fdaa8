package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// is reports whether p is set to v.
func is[T comparable](p *T, v T) bool { return p != nil && *p == v }

// TestChatLoop drives the interactive chat on the real server: the
// conversation carries over, /set changes the budget of the next turn, and
// every turn is logged.
func TestChatLoop(t *testing.T) {
	s := needModels(t)
	log := filepath.Join(t.TempDir(), "runs.jsonl")
	in := "What is 17*3?\n/setx 1\n/foo\n/set max-steps 1\nAnd again?\n/bye\nnot read\n"
	ios, out, errOut := testStreams(in)
	ios.InIsTerminal = true
	opts := &RunOptions{IO: ios, Now: time.Now, Client: clientFor(s)}
	cmd := newRunCmdWith(opts)
	cmd.SetArgs([]string{"t/closer", "--log", log})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if got := strings.Count(out.String(), "17 × 3 = 51."); got != 2 {
		t.Errorf("stdout has %d answers, want 2:\n%s", got, out)
	}
	for _, want := range []string{"unknown command /setx: type /? for help", "unknown command /foo", "Set max-steps to 1."} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	recs := readLog(t, log)
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2 (one a turn)", len(recs))
	}
	if str(recs[0], "cut_reason") != "" || str(recs[1], "cut_reason") != "steps" || num(recs[1], "steps") != 1 {
		t.Errorf("cut reasons %q, %q (steps %v); want none, then steps after /set max-steps 1",
			str(recs[0], "cut_reason"), str(recs[1], "cut_reason"), num(recs[1], "steps"))
	}
	// The second turn carries the first: its prompt holds the first
	// question and answer too, well over ten tokens more (without them it
	// is about as long as the first).
	if p0, p1 := metric(recs[0], "prompt_tokens"), metric(recs[1], "prompt_tokens"); p1 < p0+10 {
		t.Errorf("second turn's prompt has %v tokens, the first's %v: the conversation was not carried", p1, p0)
	}
}
