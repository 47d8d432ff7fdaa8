// Package budget holds rein's reasoning budgets in one value.
//
// A Budgets field that is nil is unset; a field that points at zero was
// set to zero ("no limit", or "off"), and a zero chosen that way beats a
// lower layer's budget. Layers merge with one rule, Or: the command line's
// flags, then the request's own options (the proxy's rein_* keys; the
// proxy's flags are the layer under them), then the family profile, then
// the defaults, each defined once below. Validate is the one check; Names
// (names.go) is the one table of what each budget is called as a flag, a
// proxy option, a profile key, a bench axis and a chat /set key.
package budget

import (
	"fmt"
	"math"
	"time"

	"github.com/rein-dev/rein/hooks"
)

// Budgets are the limits of one run's thinking and answer, and what
// happens at a cut. Nil fields are unset.
type Budgets struct {
	// MaxTokens caps all generated tokens, thinking and answer.
	MaxTokens *int `json:"max_tokens,omitempty"`
	// MaxThinkTokens is the thinking token budget.
	MaxThinkTokens *int `json:"max_think_tokens,omitempty"`
	// MaxThinkTime is the thinking time budget, counted from the first
	// thinking token.
	MaxThinkTime *time.Duration `json:"max_think_time,omitempty"`
	// MaxSteps cuts the thinking once that many steps have finished.
	MaxSteps *int `json:"max_steps,omitempty"`
	// MinSteps makes a model that closes its thinking earlier think on.
	MinSteps *int `json:"min_steps,omitempty"`
	// MaxAnswerTokens caps the answer and keeps that much room for it.
	MaxAnswerTokens *int `json:"max_answer_tokens,omitempty"`
	// Loop cuts the thinking when the same step content comes back this
	// many times; 0 turns the loop cut off.
	Loop *int `json:"loop,omitempty"`
	// StepMode says what a step is (paragraph, line, sentence, marker);
	// unset means the profile's.
	StepMode *hooks.StepMode `json:"step_split,omitempty"`
	// OnLimit is OnLimitAnswer or OnLimitStop.
	OnLimit *string `json:"on_limit,omitempty"`
	// BudgetMessage closes a cut trace; unset means the profile's.
	BudgetMessage *string `json:"budget_message,omitempty"`
	// The early exit by answer probes: a probe every ProbeEvery steps, of
	// at most ProbeTokens tokens; the thinking is cut once
	// ExitOnAgreement probes in a row agree, or a probe's mean token
	// probability reaches ExitOnConfidence. 0 turns each test off.
	ExitOnAgreement  *int     `json:"exit_on_agreement,omitempty"`
	ExitOnConfidence *float64 `json:"exit_on_confidence,omitempty"`
	ProbeEvery       *int     `json:"probe_every,omitempty"`
	ProbeTokens      *int     `json:"probe_tokens,omitempty"`
}

// What a run does when a budget cuts its thinking.
const (
	// OnLimitAnswer resumes the model for a final answer (the default).
	OnLimitAnswer = "answer"
	// OnLimitStop ends the run with the trace alone.
	OnLimitStop = "stop"
)

// The defaults, each defined here and nowhere else.
const (
	// DefaultMaxTokens is the hard cap on generated tokens.
	DefaultMaxTokens = 32768
	// DefaultLoop is the loop cut: a step seen three times is a loop.
	DefaultLoop = 3
	// DefaultOnLimit is what follows a cut.
	DefaultOnLimit = OnLimitAnswer
	// DefaultProbeEvery is the number of steps between answer probes.
	DefaultProbeEvery = 2
	// DefaultProbeTokens bounds one answer probe.
	DefaultProbeTokens = 32
)

// Ptr returns a pointer to v: Budgets{MaxSteps: budget.Ptr(4)}.
func Ptr[T any](v T) *T { return &v }

// None is a layer that gives a run no budget whatever the layers under
// it say: every limit 0, the default loop cut, the default on-limit (a
// bench point "none", whose budgets are its matrix, not the profile's).
func None() Budgets {
	zero, d, f := 0, time.Duration(0), 0.0
	return Budgets{
		MaxThinkTokens: &zero, MaxThinkTime: &d, MaxSteps: &zero, MinSteps: &zero,
		MaxAnswerTokens: &zero, Loop: Ptr(DefaultLoop), OnLimit: Ptr(DefaultOnLimit),
		ExitOnAgreement: &zero, ExitOnConfidence: &f,
	}
}

// Or returns b with every unset field taken from lower: b wins where it
// is set, whatever it is set to.
func (b Budgets) Or(lower Budgets) Budgets {
	or(&b.MaxTokens, lower.MaxTokens)
	or(&b.MaxThinkTokens, lower.MaxThinkTokens)
	or(&b.MaxThinkTime, lower.MaxThinkTime)
	or(&b.MaxSteps, lower.MaxSteps)
	or(&b.MinSteps, lower.MinSteps)
	or(&b.MaxAnswerTokens, lower.MaxAnswerTokens)
	or(&b.Loop, lower.Loop)
	or(&b.StepMode, lower.StepMode)
	or(&b.OnLimit, lower.OnLimit)
	or(&b.BudgetMessage, lower.BudgetMessage)
	or(&b.ExitOnAgreement, lower.ExitOnAgreement)
	or(&b.ExitOnConfidence, lower.ExitOnConfidence)
	or(&b.ProbeEvery, lower.ProbeEvery)
	or(&b.ProbeTokens, lower.ProbeTokens)
	return b
}

func or[T any](dst **T, lower *T) {
	if *dst == nil && lower != nil {
		v := *lower
		*dst = &v
	}
}

// IsZero reports whether b sets nothing.
func (b Budgets) IsZero() bool { return b == Budgets{} }

// Limits are budgets resolved: every field has its value, the defaults
// filled in. StepMode and BudgetMessage stay "" when unset, for the
// profile to fill.
type Limits struct {
	MaxTokens        int
	MaxThinkTokens   int
	MaxThinkTime     time.Duration
	MaxSteps         int
	MinSteps         int
	MaxAnswerTokens  int
	Loop             int
	StepMode         hooks.StepMode
	OnLimit          string
	BudgetMessage    string
	ExitOnAgreement  int
	ExitOnConfidence float64
	ProbeEvery       int
	ProbeTokens      int
}

// Resolve fills b's unset fields with the defaults.
func (b Budgets) Resolve() Limits {
	return Limits{
		MaxTokens:        val(b.MaxTokens, DefaultMaxTokens),
		MaxThinkTokens:   val(b.MaxThinkTokens, 0),
		MaxThinkTime:     val(b.MaxThinkTime, 0),
		MaxSteps:         val(b.MaxSteps, 0),
		MinSteps:         val(b.MinSteps, 0),
		MaxAnswerTokens:  val(b.MaxAnswerTokens, 0),
		Loop:             val(b.Loop, DefaultLoop),
		StepMode:         val(b.StepMode, ""),
		OnLimit:          val(b.OnLimit, DefaultOnLimit),
		BudgetMessage:    val(b.BudgetMessage, ""),
		ExitOnAgreement:  val(b.ExitOnAgreement, 0),
		ExitOnConfidence: val(b.ExitOnConfidence, 0),
		ProbeEvery:       positive(b.ProbeEvery, DefaultProbeEvery),
		ProbeTokens:      positive(b.ProbeTokens, DefaultProbeTokens),
	}
}

func val[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// positive is val for settings whose 0 means the default.
func positive(p *int, def int) int {
	if p == nil || *p <= 0 {
		return def
	}
	return *p
}

// Validate checks every set field: no negative budget, none above its
// limit (hooks.CheckLimit), a known on-limit and step mode, a probability
// for the confidence, and room for the answer under the token cap. The
// error names the budget as the user wrote it where the caller passes a
// naming function (nil: the flag names).
func (b Budgets) Validate(name func(Name) string) error {
	if name == nil {
		name = func(n Name) string { return "--" + n.Flag }
	}
	for _, n := range Names {
		if err := n.check(b); err != nil {
			return fmt.Errorf("%s %w", name(n), err)
		}
	}
	l := b.Resolve()
	if l.MaxAnswerTokens > 0 && l.MaxAnswerTokens >= l.MaxTokens {
		return fmt.Errorf("max answer tokens (%d) must be below max tokens (%d)", l.MaxAnswerTokens, l.MaxTokens)
	}
	return nil
}

// check validates n's field of b, if set.
func (n Name) check(b Budgets) error {
	switch p := n.field(&b).(type) {
	case **int:
		if *p == nil {
			return nil
		}
		v := **p
		if v < 0 {
			return fmt.Errorf("must be 0 or more, not %d", v)
		}
		return limit(n.Kind, int64(v))
	case **time.Duration:
		if *p == nil {
			return nil
		}
		if **p < 0 {
			return fmt.Errorf("must be 0 or more, not %v", **p)
		}
		return limit(n.Kind, int64(**p))
	case **float64:
		if *p == nil {
			return nil
		}
		if v := **p; math.IsNaN(v) || v < 0 || v > 1 {
			return fmt.Errorf("must be a probability between 0 and 1, not %v", v)
		}
	case **string:
		if *p == nil || n.Choices == nil {
			return nil
		}
		for _, c := range n.Choices {
			if **p == c {
				return nil
			}
		}
		return fmt.Errorf("must be %s, not %q", orList(n.Choices), **p)
	case **hooks.StepMode:
		if *p == nil || **p == "" {
			return nil
		}
		if _, err := hooks.ParseStepMode(string(**p)); err != nil {
			return err
		}
	}
	return nil
}

func limit(k Kind, v int64) error {
	var kind hooks.BudgetKind
	switch k {
	case KindTokens:
		kind = hooks.BudgetTokens
	case KindDuration:
		kind = hooks.BudgetTime
	default:
		kind = hooks.BudgetSteps
	}
	if err := hooks.CheckLimit("", kind, v); err != nil {
		return &LimitError{err}
	}
	return nil
}

// LimitError is a budget above its upper limit (hooks.CheckLimit), so that
// a caller with words of its own for a bad value keeps the limit's.
type LimitError struct{ err error }

func (e *LimitError) Error() string { return e.err.Error() }
func (e *LimitError) Unwrap() error { return e.err }

func orList(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("%q", s[0])
	}
	out := ""
	for i, c := range s {
		switch {
		case i == 0:
		case i == len(s)-1:
			out += " or "
		default:
			out += ", "
		}
		out += fmt.Sprintf("%q", c)
	}
	return out
}
