package hooks

import (
	"context"
	"time"
)

// MaxSteps returns a hook that cuts the thinking once n steps have
// finished: on the step event of the nth step, so the run stops where step
// n+1 would begin. n <= 0 means no limit.
func MaxSteps(n int) Hook {
	return Func(func(_ context.Context, ev *Event) Decision {
		if n > 0 && ev.Kind == KindStep && ev.Phase == PhaseThinking && ev.Steps >= n {
			return Decision{Action: Cut, Reason: ReasonSteps}
		}
		return Decision{}
	})
}

// MaxThinkTokens returns a hook that cuts the thinking on the thinking token
// that brings the count to n. The runner also sends the budget to the
// server as num_predict; this hook is the backstop. n <= 0 means no limit.
func MaxThinkTokens(n int) Hook {
	return Func(func(_ context.Context, ev *Event) Decision {
		if n > 0 && ev.Kind == KindToken && ev.Phase == PhaseThinking && ev.ThinkingTokens >= n {
			return Decision{Action: Cut, Reason: ReasonTokens}
		}
		return Decision{}
	})
}

// MaxThinkTime returns a hook that cuts the thinking on the first thinking
// token that brings the thinking time (ev.Thinking, which counts from the
// first thinking token and leaves out time spent queued at the server) to
// d or more. d <= 0 means no limit.
func MaxThinkTime(d time.Duration) Hook {
	return Func(func(_ context.Context, ev *Event) Decision {
		if d > 0 && ev.Kind == KindToken && ev.Phase == PhaseThinking && ev.Thinking >= d {
			return Decision{Action: Cut, Reason: ReasonTime}
		}
		return Decision{}
	})
}
