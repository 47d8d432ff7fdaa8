package runner

import (
	"maps"
	"slices"

	"github.com/ollama/ollama/types/model"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/models"
)

// DefaultBudgetMessage is written into the trace after a cut, just before
// the closing tag, so that the trace ends the way a model ends its own.
const DefaultBudgetMessage = "\n\nTime is up. I have to stop thinking and give my final answer now.\n"

// Profile is what the runner needs to know about a model family. It is
// plain data.
type Profile struct {
	Name string
	// ThinkOpen and ThinkClose are the thinking tags; empty for a model
	// that does not think in tags.
	ThinkOpen, ThinkClose string
	// System is the system prompt used when the request has none; empty
	// means the model's own.
	System string
	// BudgetMessage goes into the trace after a cut; empty means
	// DefaultBudgetMessage.
	BudgetMessage string
	// Options are sampling defaults, under the request's options.
	Options map[string]any
	// Chat makes the runner use /api/chat, for models whose format Ollama
	// parses itself (gpt-oss harmony, models with a built-in renderer),
	// where raw generation cannot see the tags.
	Chat bool
	// StepMode is the default step mode for the family.
	StepMode hooks.StepMode
	// Budgets fill the budgets a request leaves unset.
	Budgets budget.Budgets
	// ThinkLevels are the thinking levels the family takes (gpt-oss: low,
	// medium, high); nil for a family that only thinks or not.
	ThinkLevels []string
	// ProbeLead follows the closing tag in an answer probe (probe.go), to
	// lead the model to its answer; empty leaves the model alone.
	ProbeLead string
}

// Thinks reports whether the profile can see a thinking trace.
func (p Profile) Thinks() bool { return p.Chat || (p.ThinkOpen != "" && p.ThinkClose != "") }

// InferProfile guesses a profile from a model's chat template and family
// with models.Infer, rein's one inference (capabilities are not needed).
func InferProfile(tmpl string, _ []model.Capability, family string) Profile {
	p := Profile{Name: family, StepMode: hooks.StepParagraph}
	if p.Name == "" {
		p.Name = "generic"
	}
	p.ThinkOpen, p.ThinkClose, p.Chat = models.Infer(tmpl, []string{family})
	return p
}

// FromModelProfile turns a family profile (models/) into what the runner
// needs, with the budget message in lang (ISO 639-1; "" means English).
// num_ctx stays out: the profile's value is a recommendation, and the runner
// sizes the context itself.
func FromModelProfile(mp models.Profile, lang string) Profile {
	p := Profile{
		Name:          mp.Name,
		ThinkOpen:     mp.ThinkOpen,
		ThinkClose:    mp.ThinkClose,
		System:        mp.System,
		BudgetMessage: mp.BudgetMessage(lang),
		Chat:          mp.Chat,
		StepMode:      hooks.StepMode(mp.StepSplit),
		Budgets:       mp.Clone().Budgets,
		ThinkLevels:   slices.Clone(mp.ThinkLevels),
		ProbeLead:     mp.ProbeLead,
	}
	if len(mp.Options) > 0 {
		p.Options = maps.Clone(mp.Options)
		delete(p.Options, "num_ctx")
	}
	return p
}
