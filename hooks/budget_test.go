package hooks

import (
	"context"
	"testing"
	"time"
)

func TestBudgets(t *testing.T) {
	cut := func(reason string) Decision { return Decision{Action: Cut, Reason: reason} }
	tests := []struct {
		name string
		hook Hook
		ev   Event
		want Decision
	}{
		{"steps below", MaxSteps(3), Event{Kind: KindStep, Phase: PhaseThinking, Steps: 2}, Decision{}},
		{"steps at", MaxSteps(3), Event{Kind: KindStep, Phase: PhaseThinking, Steps: 3}, cut(ReasonSteps)},
		{"steps above", MaxSteps(3), Event{Kind: KindStep, Phase: PhaseThinking, Steps: 4}, cut(ReasonSteps)},
		{"steps on token", MaxSteps(3), Event{Kind: KindToken, Phase: PhaseThinking, Steps: 5}, Decision{}},
		{"steps answering", MaxSteps(3), Event{Kind: KindStep, Phase: PhaseAnswer, Steps: 5}, Decision{}},
		{"steps off", MaxSteps(0), Event{Kind: KindStep, Phase: PhaseThinking, Steps: 5}, Decision{}},
		{"tokens below", MaxThinkTokens(10), Event{Kind: KindToken, Phase: PhaseThinking, ThinkingTokens: 9}, Decision{}},
		{"tokens at", MaxThinkTokens(10), Event{Kind: KindToken, Phase: PhaseThinking, ThinkingTokens: 10}, cut(ReasonTokens)},
		{"tokens answering", MaxThinkTokens(10), Event{Kind: KindToken, Phase: PhaseAnswer, ThinkingTokens: 10}, Decision{}},
		{"tokens on step", MaxThinkTokens(10), Event{Kind: KindStep, Phase: PhaseThinking, ThinkingTokens: 10}, Decision{}},
		{"tokens off", MaxThinkTokens(-1), Event{Kind: KindToken, Phase: PhaseThinking, ThinkingTokens: 10}, Decision{}},
		{"time below", MaxThinkTime(time.Second), Event{Kind: KindToken, Phase: PhaseThinking, Thinking: 999 * time.Millisecond}, Decision{}},
		{"time at", MaxThinkTime(time.Second), Event{Kind: KindToken, Phase: PhaseThinking, Thinking: time.Second}, cut(ReasonTime)},
		// Time in the server's queue, before the first thinking token, is no thinking.
		{"time queued", MaxThinkTime(time.Second), Event{Kind: KindToken, Phase: PhaseThinking, Elapsed: time.Hour, Thinking: time.Millisecond}, Decision{}},
		{"time answering", MaxThinkTime(time.Second), Event{Kind: KindToken, Phase: PhaseAnswer, Thinking: time.Hour}, Decision{}},
		{"time on done", MaxThinkTime(time.Second), Event{Kind: KindDone, Phase: PhaseThinking, Thinking: time.Hour}, Decision{}},
		{"time off", MaxThinkTime(0), Event{Kind: KindToken, Phase: PhaseThinking, Thinking: time.Hour}, Decision{}},
	}
	for _, tt := range tests {
		if got := tt.hook.OnEvent(context.Background(), &tt.ev); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestChainFirstDecisionWins(t *testing.T) {
	var seen []string
	rec := func(name string, d Decision) Hook {
		return Func(func(context.Context, *Event) Decision { seen = append(seen, name); return d })
	}
	c := Chain{
		rec("a", Decision{}),
		rec("b", Decision{Action: Cut, Reason: ReasonSteps}),
		rec("c", Decision{Action: Abort, Reason: "x"}),
	}
	got := c.OnEvent(context.Background(), &Event{Kind: KindToken})
	if got.Action != Cut || got.Reason != ReasonSteps || len(seen) != 3 {
		t.Errorf("got %+v, hooks seen %v", got, seen)
	}
}
