package hooks

import (
	"errors"
	"fmt"
	"time"
)

// Upper limits of the budgets. They are far beyond any real run, and low
// enough that no sum of budgets, nor a budget plus one, overflows: a budget
// of 2^63-1 thinking tokens once overflowed to a limit of zero and gave an
// empty run.
const (
	// LimitTokens bounds token budgets and caps (max tokens, max think
	// tokens, max answer tokens).
	LimitTokens = 1_000_000_000
	// LimitSteps bounds step counts: max steps, min steps and the loop's K.
	LimitSteps = 1_000_000
	// LimitThinkTime bounds the thinking time budget.
	LimitThinkTime = 7 * 24 * time.Hour
)

// BudgetKind says which limit a budget has.
type BudgetKind int

const (
	// BudgetTokens: a number of tokens (LimitTokens).
	BudgetTokens BudgetKind = iota
	// BudgetSteps: a number of steps or repeats (LimitSteps).
	BudgetSteps
	// BudgetTime: a duration in nanoseconds (LimitThinkTime).
	BudgetTime
)

// CheckLimit returns a one-line error when v, the budget called name (as
// the user wrote it: a flag, an option or a field; "" leaves it out), is
// above the limit of its kind; nil otherwise. Negative values are the
// caller's to reject.
func CheckLimit(name string, kind BudgetKind, v int64) error {
	var msg string
	switch kind {
	case BudgetTime:
		if v > int64(LimitThinkTime) {
			msg = fmt.Sprintf("must be at most %v, not %v", LimitThinkTime, time.Duration(v))
		}
	case BudgetSteps:
		if v > LimitSteps {
			msg = fmt.Sprintf("must be at most %d, not %d", LimitSteps, v)
		}
	default:
		if v > LimitTokens {
			msg = fmt.Sprintf("must be at most %d, not %d", LimitTokens, v)
		}
	}
	switch {
	case msg == "":
		return nil
	case name == "":
		return errors.New(msg)
	}
	return errors.New(name + " " + msg)
}
