package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
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
	// Think asks the model to think (true) or not (false); the budgets
	// need it. Nil thinks where the model can, and a model that cannot
	// runs plain without a warning.
	Think *bool
	// ThinkLevel ("low", "medium", "high") is passed to templates and, on
	// the chat path, to the server.
	ThinkLevel string
	// Options are Ollama options; they override the profile's.
	Options map[string]any
	// NumCtx sets num_ctx; 0 sizes it from the prompt and the budgets,
	// within the model's training context.
	NumCtx int
	// Budgets are the run's budgets (package budget): those left unset
	// take the matched profile's, then the defaults. A bench point, whose
	// budgets are its matrix, sets them all (budget.None).
	Budgets budget.Budgets
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

	// ProbeKey maps a probe's answer to what is compared for the early
	// exit by agreement (probe.go; nil: lower case, spaces collapsed).
	ProbeKey func(string) string
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
	if q.NumCtx < 0 {
		return fmt.Errorf("num ctx must be ≥ 0")
	}
	if err := hooks.CheckLimit("num ctx", hooks.BudgetTokens, int64(q.NumCtx)); err != nil {
		return err
	}
	if err := q.Budgets.Validate(budgetName); err != nil {
		return err
	}
	switch q.ThinkLevel {
	case "", "low", "medium", "high":
	default:
		return fmt.Errorf("think level must be low, medium or high, not %q", q.ThinkLevel)
	}
	return nil
}

// budgetName names a budget in the runner's errors: its flag name in
// words ("max steps").
func budgetName(n budget.Name) string { return strings.ReplaceAll(n.Flag, "-", " ") }

// thinks reports whether the request asks for thinking (unset: yes).
func (q *Request) thinks() bool { return q.Think == nil || *q.Think }
