package main

import (
	"time"

	"github.com/rein-dev/rein/hooks"
)

// checkBudgetLimits checks the budget flags that rein run and rein proxy
// share against the budgets' upper limits (hooks.CheckLimit): a usage error
// in one line, naming the flag.
func checkBudgetLimits(maxTokens, maxThinkTokens, maxAnswerTokens, maxSteps, minSteps, loop int, maxThinkTime time.Duration) error {
	for _, b := range []struct {
		name string
		kind hooks.BudgetKind
		v    int64
	}{
		{"--max-tokens", hooks.BudgetTokens, int64(maxTokens)},
		{"--max-think-tokens", hooks.BudgetTokens, int64(maxThinkTokens)},
		{"--max-answer-tokens", hooks.BudgetTokens, int64(maxAnswerTokens)},
		{"--max-steps", hooks.BudgetSteps, int64(maxSteps)},
		{"--min-steps", hooks.BudgetSteps, int64(minSteps)},
		{"--loop", hooks.BudgetSteps, int64(loop)},
		{"--max-think-time", hooks.BudgetTime, int64(maxThinkTime)},
	} {
		if err := hooks.CheckLimit(b.name, b.kind, b.v); err != nil {
			return usageError{err}
		}
	}
	return nil
}
