package chat

import (
	"strings"
	"testing"
	"time"

	"github.com/rein-dev/rein/budget"
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
		err := ApplySet(q, tt.line)
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
