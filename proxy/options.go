package proxy

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/runner"
)

// Budgets are the limits an intercepted run is held to. They mirror the
// budget flags of `rein run`; zero values mean no limit (or the runner's
// default: MaxTokens 0 is runner.DefaultMaxTokens, OnLimit "" is
// runner.OnLimitAnswer).
type Budgets struct {
	MaxTokens       int
	MaxThinkTokens  int
	MaxSteps        int
	MaxThinkTime    time.Duration
	MaxAnswerTokens int
	Loop            int
	MinSteps        int
	StepMode        hooks.StepMode
	OnLimit         string
	BudgetMessage   string
	// ExitOnAgreement and ExitOnConfidence end the thinking early by
	// answer probes (runner.Request's fields of the same names).
	ExitOnAgreement  int
	ExitOnConfidence float64
	// LoopSet says Loop was chosen (a flag, or the request's rein_loop);
	// otherwise the matched profile's loop budget replaces it. The
	// profile's other budgets fill those left at zero.
	LoopSet bool
}

// OptionPrefix marks the options a request uses to set its own budgets.
// They are removed before the request goes upstream.
const OptionPrefix = "rein_"

// The per-request budget options.
const (
	OptMaxSteps         = "rein_max_steps"
	OptMaxThinkTokens   = "rein_max_think_tokens"
	OptMaxThinkTime     = "rein_max_think_time"
	OptMaxAnswerTokens  = "rein_max_answer_tokens"
	OptLoop             = "rein_loop"
	OptMinSteps         = "rein_min_steps"
	OptOnLimit          = "rein_on_limit"
	OptStepSplit        = "rein_step_split"
	OptBudgetMessage    = "rein_budget_message"
	OptExitOnAgreement  = "rein_exit_on_agreement"
	OptExitOnConfidence = "rein_exit_on_confidence"
)

var knownOptions = []string{
	OptMaxSteps, OptMaxThinkTokens, OptMaxThinkTime, OptMaxAnswerTokens, OptLoop,
	OptMinSteps, OptOnLimit, OptStepSplit, OptBudgetMessage, OptExitOnAgreement, OptExitOnConfidence,
}

// Validate checks the budgets as `rein run` checks its flags.
func (b Budgets) Validate() error {
	for _, f := range []struct {
		name string
		kind hooks.BudgetKind
		v    int64
	}{
		{"max tokens", hooks.BudgetTokens, int64(b.MaxTokens)}, {"max think tokens", hooks.BudgetTokens, int64(b.MaxThinkTokens)},
		{"max steps", hooks.BudgetSteps, int64(b.MaxSteps)}, {"max think time", hooks.BudgetTime, int64(b.MaxThinkTime)},
		{"max answer tokens", hooks.BudgetTokens, int64(b.MaxAnswerTokens)}, {"loop", hooks.BudgetSteps, int64(b.Loop)},
		{"min steps", hooks.BudgetSteps, int64(b.MinSteps)},
	} {
		if f.v < 0 {
			return fmt.Errorf("%s must be 0 or more, not %d", f.name, f.v)
		}
		if err := hooks.CheckLimit(f.name, f.kind, f.v); err != nil {
			return err
		}
	}
	switch b.OnLimit {
	case "", runner.OnLimitAnswer, runner.OnLimitStop:
	default:
		return fmt.Errorf("on-limit must be %q or %q, not %q", runner.OnLimitAnswer, runner.OnLimitStop, b.OnLimit)
	}
	if b.StepMode != "" {
		if _, err := hooks.ParseStepMode(string(b.StepMode)); err != nil {
			return err
		}
	}
	if mt := cmp.Or(b.MaxTokens, runner.DefaultMaxTokens); b.MaxAnswerTokens >= mt {
		return fmt.Errorf("max answer tokens (%d) must be below max tokens (%d)", b.MaxAnswerTokens, mt)
	}
	return nil
}

// optionError is a bad rein_* option: the client's fault, HTTP 400.
type optionError struct{ msg string }

func (e *optionError) Error() string { return e.msg }

func optErrorf(format string, a ...any) error { return &optionError{fmt.Sprintf(format, a...)} }

// takeOptions removes the rein_* keys from opts and applies them to b. An
// unknown rein_* key or a value of the wrong kind is an *optionError.
func (b Budgets) takeOptions(opts map[string]any) (Budgets, error) {
	keys := make([]string, 0, 4)
	for k := range opts {
		if strings.HasPrefix(k, OptionPrefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys) // the first unknown key is reported, always the same one
	for _, k := range keys {
		v := opts[k]
		delete(opts, k)
		var err error
		switch k {
		case OptMaxSteps:
			b.MaxSteps, err = intOption(k, v)
		case OptMaxThinkTokens:
			b.MaxThinkTokens, err = intOption(k, v)
		case OptMaxAnswerTokens:
			b.MaxAnswerTokens, err = intOption(k, v)
		case OptLoop:
			b.Loop, err = intOption(k, v)
			b.LoopSet = true
		case OptMinSteps:
			b.MinSteps, err = intOption(k, v)
		case OptMaxThinkTime:
			b.MaxThinkTime, err = durationOption(k, v)
		case OptOnLimit:
			b.OnLimit, err = stringOption(k, v)
			if err == nil && b.OnLimit != runner.OnLimitAnswer && b.OnLimit != runner.OnLimitStop {
				err = optErrorf("option %s must be %q or %q, not %q", k, runner.OnLimitAnswer, runner.OnLimitStop, b.OnLimit)
			}
		case OptStepSplit:
			var s string
			if s, err = stringOption(k, v); err == nil {
				var m hooks.StepMode
				if m, err = hooks.ParseStepMode(s); err != nil {
					err = optErrorf("option %s: %v", k, err)
				}
				b.StepMode = m
			}
		case OptBudgetMessage:
			b.BudgetMessage, err = stringOption(k, v)
		case OptExitOnAgreement:
			b.ExitOnAgreement, err = intOption(k, v)
		case OptExitOnConfidence:
			b.ExitOnConfidence, err = probabilityOption(k, v)
		default:
			err = optErrorf("unknown option %s (rein knows %s)", k, strings.Join(knownOptions, ", "))
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// intOption reads a whole number of 0 or more: a JSON number or a string
// of digits.
func intOption(k string, v any) (int, error) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil {
			return 0, optErrorf("option %s must be a whole number, not %q", k, x)
		}
		f = float64(n)
	default:
		return 0, optErrorf("option %s must be a whole number, not %v", k, v)
	}
	if f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
		return 0, optErrorf("option %s must be a whole number of 0 or more, not %v", k, v)
	}
	return int(f), nil
}

// durationOption reads a duration: a string such as "30s" or "1m30s", or a
// number of milliseconds.
func durationOption(k string, v any) (time.Duration, error) {
	switch x := v.(type) {
	case string:
		d, err := time.ParseDuration(strings.TrimSpace(x))
		if err != nil {
			if n, nerr := strconv.ParseFloat(strings.TrimSpace(x), 64); nerr == nil {
				return msDuration(k, n)
			}
			return 0, optErrorf("option %s must be a duration such as \"30s\" or a number of milliseconds, not %q", k, x)
		}
		if d < 0 {
			return 0, optErrorf("option %s must be 0 or more, not %s", k, x)
		}
		return d, nil
	case float64:
		return msDuration(k, x)
	case int:
		return msDuration(k, float64(x))
	}
	return 0, optErrorf("option %s must be a duration such as \"30s\" or a number of milliseconds, not %v", k, v)
}

func msDuration(k string, ms float64) (time.Duration, error) {
	if ms < 0 || math.IsNaN(ms) || ms > float64(math.MaxInt64/int64(time.Millisecond)) {
		return 0, optErrorf("option %s must be 0 or more milliseconds, not %v", k, ms)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// probabilityOption reads a number between 0 and 1: a JSON number or a
// string of one.
func probabilityOption(k string, v any) (float64, error) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int:
		f = float64(x)
	case string:
		n, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, optErrorf("option %s must be a probability between 0 and 1, not %q", k, x)
		}
		f = n
	default:
		return 0, optErrorf("option %s must be a probability between 0 and 1, not %v", k, v)
	}
	if math.IsNaN(f) || f < 0 || f > 1 {
		return 0, optErrorf("option %s must be a probability between 0 and 1, not %v", k, v)
	}
	return f, nil
}

func stringOption(k string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", optErrorf("option %s must be a string, not %v", k, v)
	}
	return s, nil
}
