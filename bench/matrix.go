package bench

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rein-dev/rein/budget"
)

// Budget is one point of the budget axis, such as "steps=4",
// "steps=8+think-tokens=2000" or "none": the budgets its keys set (the
// axis names of budget.Names). Every budget, "none" included, keeps the
// hard max-tokens cap of the run and, unless it says loop=K, the default
// loop cut; nothing comes from a profile (Request).
type Budget struct {
	// Text is the budget as written (white space removed); results
	// record it under "budget".
	Text string
	budget.Budgets
}

func (b Budget) String() string { return b.Text }

// IsNone reports whether the budget is "none".
func (b Budget) IsNone() bool { return b.Text == "none" }

// Request returns the budgets a run of this point is held to: its own,
// and no limit for every other (budget.None), whatever a profile says.
func (b Budget) Request() budget.Budgets { return b.Budgets.Or(budget.None()) }

// Budget keys: the axis names of budget.Names (a test checks they agree),
// and the point without a budget.
const (
	KeySteps       = "steps"
	KeyThinkTokens = "think-tokens"
	KeyThinkTime   = "think-time"
	KeyLoop        = "loop"
	KeyAgree       = "agree"
	KeyConfidence  = "confidence"
	KeyNone        = "none"
)

// axisKeys lists the keys of a budget point, for errors.
var axisKeys = strings.Join(budget.Keys(budget.ByAxis), ", ")

// ParseBudget parses one budget: "none", or key=value parts joined by "+".
// Keys (budget.Names' axis names): steps=N, think-tokens=N, agree=K
// (N, K ≥ 1), think-time=DURATION (> 0), loop=K (K ≥ 0; 0 turns the loop
// cut off), confidence=P (0 < P ≤ 1).
func ParseBudget(s string) (Budget, error) {
	parts := strings.Split(s, "+")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	b := Budget{Text: strings.Join(parts, "+")}
	if b.Text == KeyNone {
		return b, nil
	}
	bad := func(format string, a ...any) (Budget, error) {
		return Budget{}, fmt.Errorf("budget %q: %s", b.Text, fmt.Sprintf(format, a...))
	}
	seen := map[string]bool{}
	for _, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if p == KeyNone {
			return bad("none cannot be combined with other budgets")
		}
		if !ok || v == "" {
			return bad("%q: want key=value (%s) or none", p, axisKeys)
		}
		if seen[k] {
			return bad("%s given twice", k)
		}
		seen[k] = true
		n, ok := budget.Lookup(k, budget.ByAxis)
		if !ok {
			return bad("unknown key %q: want %s or none", k, axisKeys)
		}
		var le *budget.LimitError
		switch err := n.Parse(&b.Budgets, v); {
		case errors.As(err, &le):
			return bad("%s %v", k, err)
		// A point must limit something: only the loop cut takes 0.
		case err != nil || n.Axis != KeyLoop && n.Format(b.Budgets) == n.Format(budget.None()):
			return bad("%s wants %s, not %q", k, axisWant(n), v)
		}
	}
	return b, nil
}

// axisWant says what a bench point's key takes.
func axisWant(n budget.Name) string {
	switch {
	case n.Kind == budget.KindDuration:
		return "a duration > 0 such as 30s or 2m"
	case n.Kind == budget.KindProbability:
		return "a probability in (0, 1]"
	case n.Axis == KeyLoop:
		return "a whole number ≥ 0"
	}
	return "a whole number ≥ 1"
}

// ParseBudgets parses a comma-separated list of budgets, such as
// "steps=2,4,8,16,none". A bare value takes the key of the budget before
// it when that budget has a single key ("steps=2,4" is steps=2 and
// steps=4; the second one's Text is "steps=4"). A budget given twice is an
// error.
func ParseBudgets(s string) ([]Budget, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("no budgets given")
	}
	var out []Budget
	seen := map[string]bool{}
	prevKey := ""
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("budgets %q: empty item", s)
		}
		if item != KeyNone && !strings.Contains(item, "=") {
			if prevKey == "" {
				return nil, fmt.Errorf("budgets %q: %q has no key: write steps=%s, think-tokens=%s, …", s, item, item, item)
			}
			item = prevKey + "=" + item
		}
		b, err := ParseBudget(item)
		if err != nil {
			return nil, err
		}
		if seen[b.Text] {
			return nil, fmt.Errorf("budgets %q: %s given twice", s, b.Text)
		}
		seen[b.Text] = true
		out = append(out, b)
		prevKey = ""
		if k, _, ok := strings.Cut(b.Text, "="); ok && !strings.Contains(b.Text, "+") {
			prevKey = k
		}
	}
	return out, nil
}

// Job is one run of the matrix.
type Job struct {
	Model string
	Case  *Case
	// Variant is the prompt's language key; "" is the main prompt.
	Variant string
	Prompt  string
	Budget  Budget
	// Repeat counts from 0; Seed is the sampling seed (the bench seed +
	// Repeat).
	Repeat int
	Seed   int
	// Reasoning is the point on the reasoning axis: "" lets the model
	// reason as it will, a language code (ISO 639-1) makes it reason in
	// that language (rein run --reason-in), and "consensus=en+zh+fr" runs a
	// cross-lingual consensus over those languages (rein run --consensus).
	// The bench package passes it through; the Runner interprets it.
	Reasoning string
	// Warmup marks the warm-up run that Run makes first for each model
	// (on each runner); it is not recorded. Its budget is WarmupBudget.
	Warmup bool
}

// WarmupBudget is the budget of warm-up runs: they only load the model.
var WarmupBudget = Budget{Text: "warmup", Budgets: budget.Budgets{MaxThinkTokens: budget.Ptr(8)}}

// Jobs lays out the matrix. The order is model, repeat, case, variant,
// budget: each model's runs are together (no reloads), and an interrupted
// bench has whole repeats done. A case that names models (Case.Models)
// runs only on those. No budgets means a single "none"; repeats < 1 means
// one.
func Jobs(models []string, suite *Suite, budgets []Budget, repeats int, seed int) []Job {
	return JobsWith(models, suite, budgets, nil, repeats, seed)
}

// JobsWith lays out the matrix with a reasoning axis (see Job.Reasoning),
// innermost; no reasonings means the model's own ("").
func JobsWith(models []string, suite *Suite, budgets []Budget, reasonings []string, repeats int, seed int) []Job {
	if len(reasonings) == 0 {
		reasonings = []string{""}
	}
	if len(budgets) == 0 {
		budgets = []Budget{{Text: KeyNone}}
	}
	repeats = max(repeats, 1)
	var jobs []Job
	for _, m := range models {
		for r := range repeats {
			for _, c := range suite.Cases {
				if !c.RunsOn(m) {
					continue
				}
				for _, v := range c.Variants() {
					for _, b := range budgets {
						for _, rs := range reasonings {
							jobs = append(jobs, Job{Model: m, Case: c, Variant: v, Prompt: c.PromptFor(v),
								Budget: b, Repeat: r, Seed: seed + r, Reasoning: rs})
						}
					}
				}
			}
		}
	}
	return jobs
}

// Key identifies a job in a results file, for resuming:
// model|case|variant|budget|repeat|seed, and |reasoning when it is set.
func Key(job Job) string {
	id := ""
	if job.Case != nil {
		id = job.Case.ID
	}
	return runKey(job.Model, id, job.Variant, job.Budget.Text, job.Repeat, job.Seed, job.Reasoning)
}

func runKey(model, caseID, variant, budget string, repeat, seed int, reasoning string) string {
	k := strings.Join([]string{model, caseID, variant, budget, strconv.Itoa(repeat), strconv.Itoa(seed)}, "|")
	if reasoning != "" {
		k += "|" + reasoning
	}
	return k
}
