package runner

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/rein-dev/rein/models"
)

// TestProfileBudgets: a profile's budgets fill those a request leaves
// unset, only when the request asks for them; a request's own value wins.
func TestProfileBudgets(t *testing.T) {
	zero, five := 0, 5
	tests := []struct {
		name   string
		prof   models.Budgets
		req    func(*Request)
		want   Budgets // the fields compared: MaxSteps, Loop, OnLimit, MaxThinkMS, MaxAnswerTokens
		cut    string
		answer string
	}{
		{"profile steps fill an unset budget", models.Budgets{MaxSteps: 1}, func(q *Request) { q.ProfileBudgets = true },
			Budgets{MaxSteps: 1, OnLimit: OnLimitAnswer}, "steps", "Final answer: 4."},
		{"the request's steps win", models.Budgets{MaxSteps: 1}, func(q *Request) { q.ProfileBudgets = true; q.MaxSteps = 2 },
			Budgets{MaxSteps: 2, OnLimit: OnLimitAnswer}, "steps", "Final answer: 4."},
		{"a zero the user chose stays", models.Budgets{MaxSteps: 1, MaxThinkTime: time.Minute},
			func(q *Request) { q.ProfileBudgets, q.KeepZero = true, []string{"max-steps", "max-think-time"} },
			Budgets{OnLimit: OnLimitAnswer}, "", "The answer is 4."},
		{"without ProfileBudgets the profile sets nothing", models.Budgets{MaxSteps: 1}, func(q *Request) {},
			Budgets{OnLimit: OnLimitAnswer}, "", "The answer is 4."},
		{"on_limit and think time and answer cap", models.Budgets{MaxSteps: 1, OnLimit: OnLimitStop, MaxThinkTime: time.Minute, MaxAnswerTokens: 50},
			func(q *Request) { q.ProfileBudgets = true },
			Budgets{MaxSteps: 1, OnLimit: OnLimitStop, MaxThinkMS: 60000, MaxAnswerTokens: 50}, "steps", ""},
		{"profile loop replaces a default loop", models.Budgets{Loop: &zero}, func(q *Request) { q.ProfileBudgets, q.Loop, q.LoopDefault = true, 3, true },
			Budgets{Loop: 0, OnLimit: OnLimitAnswer}, "", "The answer is 4."},
		{"a chosen loop stays", models.Budgets{Loop: &five}, func(q *Request) { q.ProfileBudgets, q.Loop = true, 3 },
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
			before := *q
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
			if q.MaxSteps != before.MaxSteps || q.Loop != before.Loop || q.OnLimit != before.OnLimit {
				t.Errorf("the caller's request changed: %+v", q)
			}
		})
	}
}
