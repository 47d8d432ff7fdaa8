package runner

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/rein-dev/rein/budget"
)

// TestProfileBudgets: a profile's budgets fill those a request leaves
// unset, only when the request asks for them; a request's own value wins.
func TestProfileBudgets(t *testing.T) {
	p := budget.Ptr[int]
	tests := []struct {
		name   string
		prof   budget.Budgets
		req    func(*Request)
		want   Budgets // the fields compared: MaxSteps, Loop, OnLimit, MaxThinkMS, MaxAnswerTokens
		cut    string
		answer string
	}{
		{"profile steps fill an unset budget", budget.Budgets{MaxSteps: p(1)}, func(q *Request) {},
			Budgets{MaxSteps: 1, OnLimit: OnLimitAnswer}, "steps", "Final answer: 4."},
		{"the request's steps win", budget.Budgets{MaxSteps: p(1)}, func(q *Request) { q.Budgets.MaxSteps = p(2) },
			Budgets{MaxSteps: 2, OnLimit: OnLimitAnswer}, "steps", "Final answer: 4."},
		{"a zero the user chose stays", budget.Budgets{MaxSteps: p(1), MaxThinkTime: budget.Ptr(time.Minute)},
			func(q *Request) { q.Budgets.MaxSteps, q.Budgets.MaxThinkTime = p(0), budget.Ptr(time.Duration(0)) },
			Budgets{OnLimit: OnLimitAnswer}, "", "The answer is 4."},
		{"a bench point (budget.None) takes nothing from the profile", budget.Budgets{MaxSteps: p(1)},
			func(q *Request) { q.Budgets = budget.Budgets{Loop: p(0)}.Or(budget.None()) },
			Budgets{OnLimit: OnLimitAnswer}, "", "The answer is 4."},
		{"on_limit and think time and answer cap", budget.Budgets{MaxSteps: p(1), OnLimit: budget.Ptr(OnLimitStop), MaxThinkTime: budget.Ptr(time.Minute), MaxAnswerTokens: p(50)},
			func(q *Request) {},
			Budgets{MaxSteps: 1, OnLimit: OnLimitStop, MaxThinkMS: 60000, MaxAnswerTokens: 50}, "steps", ""},
		{"profile loop replaces the default loop", budget.Budgets{Loop: p(0)}, func(q *Request) { q.Budgets.Loop = nil },
			Budgets{Loop: 0, OnLimit: OnLimitAnswer}, "", "The answer is 4."},
		{"a chosen loop stays", budget.Budgets{Loop: p(5)}, func(q *Request) { q.Budgets.Loop = p(3) },
			Budgets{Loop: 3, OnLimit: OnLimitAnswer}, "", "The answer is 4."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, defaultModel())
			r, _ := newTestRunner(f)
			ps := testProfiles()
			ps[0].Budgets = tt.prof
			r.Profiles = ps
			q := thinkReq()
			tt.req(q)
			before := q.Budgets
			rec, err := r.Run(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			b := rec.Budgets
			got := Budgets{MaxSteps: b.MaxSteps, Loop: b.Loop, OnLimit: b.OnLimit, MaxThinkMS: b.MaxThinkMS, MaxAnswerTokens: b.MaxAnswerTokens}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("budgets %+v, want %+v", got, tt.want)
			}
			if rec.CutReason != tt.cut || rec.Answer != tt.answer {
				t.Errorf("cut %q answer %q, want %q %q", rec.CutReason, rec.Answer, tt.cut, tt.answer)
			}
			if !reflect.DeepEqual(q.Budgets, before) {
				t.Errorf("the caller's request changed: %+v", q)
			}
		})
	}
}
