package runner

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/models"
)

// Request is one run. Zero values mean "no limit" or "the default".
type Request struct {
	Model string
	// Prompt is the user message; it follows Messages when both are set.
	Prompt string
	// System overrides the profile's and the model's system prompt.
	System string
	// Messages is earlier chat history.
	Messages []api.Message
	// Think asks the model to think; the budgets below need it.
	Think bool
	// ThinkDefault says Think is a default the user did not choose: a model
	// that cannot think then runs plain without a warning.
	ThinkDefault bool
	// ThinkLevel ("low", "medium", "high") is passed to templates and, on
	// the chat path, to the server.
	ThinkLevel string
	// Options are Ollama options; they override the profile's.
	Options map[string]any
	// NumCtx sets num_ctx; 0 sizes it from the prompt and the budgets,
	// within the model's training context.
	NumCtx int
	// MaxTokens caps all generated tokens, thinking and answer; 0 means
	// DefaultMaxTokens.
	MaxTokens int
	// MaxThinkTokens is the thinking token budget; it goes to the server as
	// num_predict, so the stop is exact. Tag tokens do not count.
	MaxThinkTokens int
	// MaxThinkTime is the thinking time budget, measured on the run's clock.
	MaxThinkTime time.Duration
	// MaxSteps cuts the thinking once that many steps have finished.
	MaxSteps int
	// MinSteps makes a model that closes its thinking with fewer steps
	// think on: the closing tag is dropped and "Wait" appended.
	MinSteps int
	// MaxAnswerTokens caps the answer and keeps that much room for it.
	MaxAnswerTokens int
	// Loop cuts the thinking when content comes back this many times.
	Loop int
	// LoopDefault says Loop is a default the user did not choose, which a
	// profile's loop budget replaces.
	LoopDefault bool
	// StepMode says what a step is; "" means the profile's, or paragraphs.
	StepMode hooks.StepMode
	// OnLimit is OnLimitAnswer (default) or OnLimitStop.
	OnLimit string
	// ProfileBudgets makes the budgets above that are left at zero
	// (MaxSteps, MaxThinkTokens, MaxThinkTime, MaxAnswerTokens, MinSteps,
	// OnLimit) take the profile's Budgets, and Loop too when LoopDefault is
	// set. rein run and rein proxy set it; a bench, whose budgets are its
	// matrix, does not.
	ProfileBudgets bool
	// KeepZero names the budgets whose zero the user chose ("0: none"), by
	// their flag names (KeepZeroNames): the profile's do not replace them.
	KeepZero []string
	// BudgetMessage overrides the profile's budget message.
	BudgetMessage string
	// ThinkPrefix is thinking text the model is made to have written
	// already (raw path only): it goes right after the opening thinking tag,
	// as is, and the model goes on from there. It is part of the trace
	// (Record.Thinking starts with it, hooks see no token events for it) but
	// not of the token counts, so it does not spend the thinking budget.
	// Start it with "\n" for families that put a newline after the tag.
	// Used to pick the language the model reasons in.
	ThinkPrefix string
	// SystemNote is appended, after a blank line, to the system prompt the
	// run would use (the request's, the profile's, or the model's own); it
	// carries instructions such as the language of the answer.
	SystemNote string
	// Hooks run after the built-in budget and loop hooks, in order. The
	// caller owns them (and closes them).
	Hooks []hooks.Hook
	// Profile overrides the profile inferred from the model.
	Profile *Profile
	// RunID names the run; "" makes a random one.
	RunID     string
	KeepAlive *api.Duration
	// Seed and Temperature, when set, override the options.
	Seed        *int
	Temperature *float64
	// Tools and Format are passed to the server as a chat request's tools
	// and format. A request with either, or with images in its messages,
	// goes through /api/chat, where Ollama renders tools and images and
	// applies the format; the cut then uses the chat fallback.
	Tools  api.Tools
	Format json.RawMessage

	// Early exit by answer probes (probe.go): every ProbeEvery steps
	// (default DefaultProbeEvery) a trial answer of at most ProbeTokens
	// tokens (DefaultProbeTokens); the thinking is cut as "settled" once
	// ExitOnAgreement probes in a row agree, or once a probe's mean token
	// probability reaches ExitOnConfidence (0 < P ≤ 1). ProbeKey maps an
	// answer to what is compared (nil: lower case, spaces collapsed).
	ExitOnAgreement  int
	ExitOnConfidence float64
	ProbeEvery       int
	ProbeTokens      int
	ProbeKey         func(string) string
}

// needsChat reports whether the request carries what only Ollama's chat
// path handles: tools, a format, or images.
func (q *Request) needsChat() bool {
	if len(q.Tools) > 0 || len(q.Format) > 0 {
		return true
	}
	for _, m := range q.Messages {
		if len(m.Images) > 0 {
			return true
		}
	}
	return false
}

// Validate checks the request's fields.
func (q *Request) Validate() error {
	if q.Model == "" {
		return errors.New("model is required")
	}
	if q.Prompt == "" && len(q.Messages) == 0 {
		return errors.New("prompt is required")
	}
	for _, b := range []struct {
		name string
		kind hooks.BudgetKind
		v    int64
	}{
		{"max tokens", hooks.BudgetTokens, int64(q.MaxTokens)},
		{"max think tokens", hooks.BudgetTokens, int64(q.MaxThinkTokens)},
		{"max think time", hooks.BudgetTime, int64(q.MaxThinkTime)},
		{"max steps", hooks.BudgetSteps, int64(q.MaxSteps)},
		{"min steps", hooks.BudgetSteps, int64(q.MinSteps)},
		{"max answer tokens", hooks.BudgetTokens, int64(q.MaxAnswerTokens)},
		{"loop", hooks.BudgetSteps, int64(q.Loop)},
		{"exit on agreement", hooks.BudgetSteps, int64(q.ExitOnAgreement)},
		{"probe every", hooks.BudgetSteps, int64(q.ProbeEvery)},
		{"probe tokens", hooks.BudgetTokens, int64(q.ProbeTokens)},
		{"num ctx", hooks.BudgetTokens, int64(q.NumCtx)},
	} {
		if b.v < 0 {
			return fmt.Errorf("%s must be ≥ 0", b.name)
		}
		// The same upper limits as the flags, for every caller (the
		// chat's /set, the library).
		if err := hooks.CheckLimit(b.name, b.kind, b.v); err != nil {
			return err
		}
	}
	if q.ExitOnConfidence < 0 || q.ExitOnConfidence > 1 || math.IsNaN(q.ExitOnConfidence) {
		return fmt.Errorf("exit on confidence must be a probability between 0 and 1, not %v", q.ExitOnConfidence)
	}
	if mt := cmp.Or(q.MaxTokens, DefaultMaxTokens); q.MaxAnswerTokens >= mt {
		return fmt.Errorf("max answer tokens (%d) must be below max tokens (%d)", q.MaxAnswerTokens, mt)
	}
	switch q.OnLimit {
	case "", OnLimitAnswer, OnLimitStop:
	default:
		return fmt.Errorf("on-limit must be %q or %q, not %q", OnLimitAnswer, OnLimitStop, q.OnLimit)
	}
	if q.StepMode != "" {
		if _, err := hooks.ParseStepMode(string(q.StepMode)); err != nil {
			return err
		}
	}
	switch q.ThinkLevel {
	case "", "low", "medium", "high":
	default:
		return fmt.Errorf("think level must be low, medium or high, not %q", q.ThinkLevel)
	}
	return nil
}

// KeepZeroNames are the budgets a profile fills when they are zero, by
// their flag names: the names KeepZero takes.
var KeepZeroNames = []string{"max-steps", "max-think-tokens", "max-think-time", "max-answer-tokens", "min-steps"}

// withProfileBudgets returns a copy of q whose unset budgets take b's.
func withProfileBudgets(q *Request, b models.Budgets) *Request {
	c := *q
	set := func(name string, dst *int, v int) {
		if *dst == 0 && !slices.Contains(q.KeepZero, name) {
			*dst = v
		}
	}
	set("max-steps", &c.MaxSteps, b.MaxSteps)
	set("max-think-tokens", &c.MaxThinkTokens, b.MaxThinkTokens)
	set("max-answer-tokens", &c.MaxAnswerTokens, b.MaxAnswerTokens)
	set("min-steps", &c.MinSteps, b.MinSteps)
	if c.MaxThinkTime == 0 && !slices.Contains(q.KeepZero, "max-think-time") {
		c.MaxThinkTime = b.MaxThinkTime
	}
	if c.OnLimit == "" {
		c.OnLimit = b.OnLimit
	}
	if c.LoopDefault && b.Loop != nil {
		c.Loop = *b.Loop
	}
	return &c
}

// hasBudgets reports whether the request limits the thinking; the default
// loop cut, which the user did not choose, does not count.
func (q *Request) hasBudgets() bool {
	return q.MaxThinkTokens > 0 || q.MaxThinkTime > 0 || q.MaxSteps > 0 || q.MinSteps > 0 || q.Loop > 0 && !q.LoopDefault ||
		q.ExitOnAgreement > 0 || q.ExitOnConfidence > 0
}
