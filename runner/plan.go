package runner

import (
	"fmt"
	"slices"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/models"
)

// runPlan is what a run will do, decided before anything is sent: the
// budgets in force, the path, whether it thinks, how it cuts, and what to
// warn about.
type runPlan struct {
	lim       budget.Limits // the request's budgets over the profile's, resolved
	chat      bool          // the chat path (Ollama renders), not the raw one
	thinkOn   bool
	canThink  bool // the model can think (what templates see as IsThinkSet)
	onLimit   string
	budgetMsg string
	stepMode  hooks.StepMode
	maxTokens int
	warnings  []string
}

// plan decides a run from the request, the model's description and the
// profile alone: it is pure, and table-tested without a server
// (plan_test.go). The request's budgets win where set; the profile's fill
// the rest, then the defaults (budget.Budgets.Or, Resolve).
func plan(q *Request, show *api.ShowResponse, prof Profile) (runPlan, error) {
	var p runPlan
	merged := q.Budgets.Or(prof.Budgets)
	if err := merged.Validate(budgetName); err != nil {
		return p, fmt.Errorf("profile %s budgets: %w", prof.Name, err)
	}
	p.lim = merged.Resolve()
	p.chat = prof.Chat || q.needsChat()

	canThink := slices.Contains(show.Capabilities, model.CapabilityThinking) || prof.Thinks()
	if p.chat {
		canThink = slices.Contains(show.Capabilities, model.CapabilityThinking)
	}
	p.canThink = canThink
	p.thinkOn = q.thinks() && canThink
	l := p.lim
	// The default loop cut, which nobody chose, does not make a budget.
	userLoop := q.Budgets.Loop != nil && *q.Budgets.Loop > 0
	limited := l.MaxThinkTokens > 0 || l.MaxThinkTime > 0 || l.MaxSteps > 0 || l.MinSteps > 0 || userLoop ||
		l.ExitOnAgreement > 0 || l.ExitOnConfidence > 0
	warn := func(format string, a ...any) { p.warnings = append(p.warnings, fmt.Sprintf(format, a...)) }
	switch {
	case limited && !canThink:
		warn("model %s does not think; budgets are ignored", q.Model)
	case limited && !q.thinks():
		warn("thinking is off; budgets are ignored")
	case p.thinkOn && q.ThinkLevel != "" && q.Profile == nil && prof.Name != "" && prof.Name != models.GenericName && !slices.Contains(prof.ThinkLevels, q.ThinkLevel):
		warn("model %s (profile %s) takes no think level %q; it thinks as with --think true", q.Model, prof.Name, q.ThinkLevel)
	case q.Think != nil && *q.Think && !canThink:
		warn("model %s does not think; running without thinking", q.Model)
	}
	if p.chat && l.MinSteps > 0 && p.thinkOn {
		warn("min steps is not supported on the chat path; ignored")
	}

	p.budgetMsg = firstNonEmpty(l.BudgetMessage, prof.BudgetMessage, DefaultBudgetMessage)
	p.stepMode = hooks.StepParagraph
	if m := firstNonEmpty(string(l.StepMode), string(prof.StepMode)); m != "" {
		if sm, err := hooks.ParseStepMode(m); err == nil {
			p.stepMode = sm
		}
	}
	p.onLimit = l.OnLimit
	p.maxTokens = l.MaxTokens
	return p, nil
}
