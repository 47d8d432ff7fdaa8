package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/internal/chat"
	"github.com/rein-dev/rein/runner"
)

// is reports whether p is set to v.
func is[T comparable](p *T, v T) bool { return p != nil && *p == v }

func TestApplySet(t *testing.T) {
	tests := []struct {
		line    string
		check   func(*runner.Request) bool
		wantErr string
	}{
		{"max-steps 8", func(q *runner.Request) bool { return is(q.Budgets.MaxSteps, 8) }, ""},
		{"max-steps 0", func(q *runner.Request) bool { return is(q.Budgets.MaxSteps, 0) }, ""},
		{"max-think-tokens 200", func(q *runner.Request) bool { return is(q.Budgets.MaxThinkTokens, 200) }, ""},
		{"max-think-time 30s", func(q *runner.Request) bool { return is(q.Budgets.MaxThinkTime, 30*time.Second) }, ""},
		{"loop 0", func(q *runner.Request) bool { return is(q.Budgets.Loop, 0) }, ""},
		{"think off", func(q *runner.Request) bool { return is(q.Think, false) }, ""},
		{"think high", func(q *runner.Request) bool { return is(q.Think, true) && q.ThinkLevel == "high" }, ""},
		{"max-tokens 512", func(q *runner.Request) bool { return is(q.Budgets.MaxTokens, 512) }, ""},
		{"num-ctx 8192", func(q *runner.Request) bool { return q.NumCtx == 8192 }, ""},
		{"seed 7", func(q *runner.Request) bool { return q.Seed != nil && *q.Seed == 7 }, ""},
		{"temperature 0.6", func(q *runner.Request) bool { return q.Temperature != nil && *q.Temperature == 0.6 }, ""},
		{"system You are a terse   assistant.", func(q *runner.Request) bool { return q.System == "You are a terse   assistant." }, ""},
		{"budget-message Time is up.\\nAnswer:", func(q *runner.Request) bool { return is(q.Budgets.BudgetMessage, "Time is up.\nAnswer:") }, ""},
		{"step-split line", func(q *runner.Request) bool { return q.Budgets.StepMode != nil && *q.Budgets.StepMode == "line" }, ""},
		{"on-limit stop", func(q *runner.Request) bool { return is(q.Budgets.OnLimit, "stop") }, ""},
		{"", nil, "usage: /set KEY VALUE"},
		{"max-steps", nil, "usage: /set KEY VALUE"},
		{"max-steps -1", nil, "must be a whole number of 0 or more"},
		{"max-steps 8 9", nil, "takes one value"},
		{"max-think-time soon", nil, "must be a duration"},
		{"max-steps 2000000", nil, "at most"},
		{"on-limit later", nil, `must be "answer" or "stop"`},
		{"think maybe", nil, "want true, false"},
		{"colour blue", nil, `unknown key "colour"`},
	}
	for _, tt := range tests {
		q := &runner.Request{Think: budget.Ptr(true), Budgets: budget.Budgets{Loop: budget.Ptr(3)}}
		err := chat.ApplySet(q, tt.line)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("/set %s: error %v, want %q", tt.line, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("/set %s: %v", tt.line, err)
		case !tt.check(q):
			t.Errorf("/set %s: request %+v", tt.line, q)
		}
	}
}

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
