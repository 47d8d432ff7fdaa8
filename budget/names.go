package budget

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rein-dev/rein/hooks"
)

// Kind says what values a budget takes and which limit it has.
type Kind int

const (
	// KindTokens: a whole number of tokens, 0 or more (hooks.LimitTokens).
	KindTokens Kind = iota
	// KindSteps: a whole number of steps or repeats (hooks.LimitSteps).
	KindSteps
	// KindDuration: a duration such as 30s (hooks.LimitThinkTime).
	KindDuration
	// KindProbability: a number between 0 and 1.
	KindProbability
	// KindChoice: one of Choices.
	KindChoice
	// KindStepMode: a step mode (hooks.ParseStepMode).
	KindStepMode
	// KindText: any text.
	KindText
)

// Name is what one budget is called in each place a user sets it. An
// empty name means that place does not take the budget.
type Name struct {
	// Flag is the command-line flag (without "--"), which is also the chat's
	// /set key.
	Flag string
	// Option is the per-request option the proxy takes.
	Option string
	// Profile is the key under a profile file's budgets.
	Profile string
	// Axis is the key of a bench budget (steps=4).
	Axis string
	// Kind says what values it takes; Choices lists them for KindChoice.
	Kind    Kind
	Choices []string
	// Usage is the flag's help text.
	Usage string
	// field returns a pointer to the budget's field in b: **int,
	// **time.Duration, **float64, **string or **hooks.StepMode.
	field func(b *Budgets) any
}

// Names is the table of every budget's names; the flags, the proxy's
// options, the profile file, the bench axes and the chat's /set and /show
// all read it, in this order.
var Names = []Name{
	{Flag: "max-steps", Option: "rein_max_steps", Profile: "max_steps", Axis: "steps", Kind: KindSteps,
		Usage: "reasoning step budget (0: none)",
		field: func(b *Budgets) any { return &b.MaxSteps }},
	{Flag: "max-think-tokens", Option: "rein_max_think_tokens", Profile: "max_think_tokens", Axis: "think-tokens", Kind: KindTokens,
		Usage: "thinking token budget (0: none)",
		field: func(b *Budgets) any { return &b.MaxThinkTokens }},
	{Flag: "max-think-time", Option: "rein_max_think_time", Profile: "max_think_time", Axis: "think-time", Kind: KindDuration,
		Usage: "thinking time budget from the first thinking token, e.g. 30s (0: none)",
		field: func(b *Budgets) any { return &b.MaxThinkTime }},
	{Flag: "max-answer-tokens", Option: "rein_max_answer_tokens", Profile: "max_answer_tokens", Kind: KindTokens,
		Usage: "answer token cap (0: what --max-tokens leaves)",
		field: func(b *Budgets) any { return &b.MaxAnswerTokens }},
	{Flag: "min-steps", Option: "rein_min_steps", Profile: "min_steps", Kind: KindSteps,
		Usage: "if the model stops thinking earlier, append \"Wait\" and let it go on",
		field: func(b *Budgets) any { return &b.MinSteps }},
	{Flag: "loop", Option: "rein_loop", Profile: "loop", Axis: "loop", Kind: KindSteps,
		Usage: "cut when the same step content has occurred K times (0: off)",
		field: func(b *Budgets) any { return &b.Loop }},
	{Flag: "on-limit", Option: "rein_on_limit", Profile: "on_limit", Kind: KindChoice, Choices: []string{OnLimitAnswer, OnLimitStop},
		Usage: "after a cut: answer (resume for a final answer) or stop",
		field: func(b *Budgets) any { return &b.OnLimit }},
	{Flag: "step-split", Option: "rein_step_split", Kind: KindStepMode,
		Usage: "what a step is: paragraph, line, sentence or marker (default: the profile's)",
		field: func(b *Budgets) any { return &b.StepMode }},
	{Flag: "max-tokens", Kind: KindTokens,
		Usage: "hard cap on all generated tokens (num_predict)",
		field: func(b *Budgets) any { return &b.MaxTokens }},
	{Flag: "exit-on-agreement", Option: "rein_exit_on_agreement", Axis: "agree", Kind: KindSteps,
		Usage: "cut the thinking (settled) once K answer probes in a row agree (0: off)",
		field: func(b *Budgets) any { return &b.ExitOnAgreement }},
	{Flag: "exit-on-confidence", Option: "rein_exit_on_confidence", Axis: "confidence", Kind: KindProbability,
		Usage: "cut the thinking (settled) once an answer probe's mean token probability reaches P (0: off)",
		field: func(b *Budgets) any { return &b.ExitOnConfidence }},
	{Flag: "probe-every", Kind: KindSteps,
		Usage: "steps between answer probes (0: the default)",
		field: func(b *Budgets) any { return &b.ProbeEvery }},
	{Flag: "probe-tokens", Kind: KindTokens,
		Usage: "tokens an answer probe may generate",
		field: func(b *Budgets) any { return &b.ProbeTokens }},
	{Flag: "budget-message", Option: "rein_budget_message", Kind: KindText,
		Usage: "text that closes a cut trace (default: the profile's)",
		field: func(b *Budgets) any { return &b.BudgetMessage }},
}

// Lookup returns the budget that key names in one place: by returns the
// name in that place (Name.Flag, Name.Option…).
func Lookup(key string, by func(Name) string) (Name, bool) {
	for _, n := range Names {
		if k := by(n); k != "" && k == key {
			return n, true
		}
	}
	return Name{}, false
}

// Keys lists the names of every budget that place takes, in table order.
func Keys(by func(Name) string) []string {
	var out []string
	for _, n := range Names {
		if k := by(n); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// The places, for Lookup and Keys.
var (
	ByFlag    = func(n Name) string { return n.Flag }
	ByOption  = func(n Name) string { return n.Option }
	ByProfile = func(n Name) string { return n.Profile }
	ByAxis    = func(n Name) string { return n.Axis }
)

// IsSet reports whether b sets n's budget.
func (n Name) IsSet(b Budgets) bool {
	switch p := n.field(&b).(type) {
	case **int:
		return *p != nil
	case **time.Duration:
		return *p != nil
	case **float64:
		return *p != nil
	case **string:
		return *p != nil
	case **hooks.StepMode:
		return *p != nil
	}
	return false
}

// Unset clears n's budget in b.
func (n Name) Unset(b *Budgets) {
	switch p := n.field(b).(type) {
	case **int:
		*p = nil
	case **time.Duration:
		*p = nil
	case **float64:
		*p = nil
	case **string:
		*p = nil
	case **hooks.StepMode:
		*p = nil
	}
}

// Format returns n's value in b as text, as Parse reads it back; "" when
// unset.
func (n Name) Format(b Budgets) string {
	switch p := n.field(&b).(type) {
	case **int:
		if *p != nil {
			return strconv.Itoa(**p)
		}
	case **time.Duration:
		if *p != nil {
			return (**p).String()
		}
	case **float64:
		if *p != nil {
			return strconv.FormatFloat(**p, 'g', -1, 64)
		}
	case **string:
		if *p != nil {
			return **p
		}
	case **hooks.StepMode:
		if *p != nil {
			return string(**p)
		}
	}
	return ""
}

// Parse sets n's budget in b from text, as a flag, /set, a profile file
// or a bench axis writes it: a whole number, a Go duration (30s, 2m), a
// probability, one of the choices, a step mode or any text. The error
// says what was wanted, without the name, which the caller adds in its
// own form.
func (n Name) Parse(b *Budgets, text string) error {
	s := strings.TrimSpace(text)
	switch p := n.field(b).(type) {
	case **int:
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			return fmt.Errorf("must be a whole number of 0 or more, not %q", text)
		}
		if err := limit(n.Kind, int64(v)); err != nil {
			return err
		}
		*p = &v
	case **time.Duration:
		d, err := time.ParseDuration(s)
		if s == "0" {
			d, err = 0, nil
		}
		if err != nil || d < 0 {
			return fmt.Errorf("must be a duration of 0 or more such as 30s or 2m, not %q", text)
		}
		if err := limit(n.Kind, int64(d)); err != nil {
			return err
		}
		*p = &d
	case **float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
			return fmt.Errorf("must be a probability between 0 and 1, not %q", text)
		}
		*p = &f
	case **string:
		if n.Kind == KindChoice {
			s = strings.ToLower(s)
			ok := false
			for _, c := range n.Choices {
				ok = ok || s == c
			}
			if !ok {
				return fmt.Errorf("must be %s, not %q", orList(n.Choices), text)
			}
			*p = &s
			return nil
		}
		t := text
		*p = &t
	case **hooks.StepMode:
		m, err := hooks.ParseStepMode(s)
		if err != nil {
			return err
		}
		*p = &m
	}
	return nil
}

// ParseValue sets n's budget in b from a decoded JSON value, as a
// request's options carry it: a number (a whole one for counts; a number
// of milliseconds for a duration) or a string that Parse reads.
func (n Name) ParseValue(b *Budgets, v any) error {
	if x, ok := v.(string); ok {
		if n.Kind == KindDuration {
			if ms, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return n.setMillis(b, ms, x)
			}
		}
		return n.Parse(b, x)
	}
	f, ok := Number(v)
	if !ok {
		return fmt.Errorf("must be %s, not %v", n.want(), v)
	}
	switch n.Kind {
	case KindDuration:
		return n.setMillis(b, f, f)
	case KindProbability:
		if math.IsNaN(f) || f < 0 || f > 1 {
			return fmt.Errorf("must be a probability between 0 and 1, not %v", v)
		}
		*n.field(b).(**float64) = &f
		return nil
	case KindTokens, KindSteps:
		if f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
			return fmt.Errorf("must be a whole number of 0 or more, not %v", v)
		}
		k := int(f)
		if err := limit(n.Kind, int64(k)); err != nil {
			return err
		}
		*n.field(b).(**int) = &k
		return nil
	}
	return fmt.Errorf("must be %s, not %v", n.want(), v)
}

// Number reads a decoded JSON number: a float64, or an int as a caller's
// own conversion gives it.
func Number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

func (n Name) setMillis(b *Budgets, ms float64, v any) error {
	if math.IsNaN(ms) || ms < 0 || ms > float64(math.MaxInt64/int64(time.Millisecond)) {
		return fmt.Errorf("must be 0 or more milliseconds, not %v", v)
	}
	d := time.Duration(ms * float64(time.Millisecond))
	if err := limit(n.Kind, int64(d)); err != nil {
		return err
	}
	*n.field(b).(**time.Duration) = &d
	return nil
}

// want describes n's values for an error.
func (n Name) want() string {
	switch n.Kind {
	case KindTokens, KindSteps:
		return "a whole number"
	case KindDuration:
		return `a duration such as "30s" or a number of milliseconds`
	case KindProbability:
		return "a probability between 0 and 1"
	case KindChoice:
		return orList(n.Choices)
	}
	return "a string"
}
