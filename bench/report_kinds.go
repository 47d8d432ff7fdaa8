package bench

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
)

// The budget kinds compared on one chart: accuracy against the mean
// thinking tokens a budget spends, the answer probes' tokens included, so
// that an adaptive exit (agree=K, confidence=P) and the best fixed budget
// (steps=N, think-tokens=N, think-time=D) can be compared at their cost.

// KindPoint is one budget's point: the runs of one model (and reasoning
// axis point) with one budget, whatever their variant. Runs that failed
// are left out, as in Row.
type KindPoint struct {
	Model, Reasoning string
	// Kind is the budget's kind (BudgetKind); Budget the budget itself.
	Kind, Budget string
	// Runs counts the runs that did not fail; Checked those with a check,
	// Passed those that passed.
	Runs, Checked, Passed int
	// Accuracy is Passed/Checked; NaN without checks.
	Accuracy float64
	// ThinkMean is the mean over the runs of thinking tokens plus probe
	// tokens; ProbeMean the mean of probe tokens alone.
	ThinkMean, ProbeMean float64
	// Probes reports whether the budget probes (agree or confidence).
	Probes bool
}

// BudgetKind returns the kind of a budget, its keys without their values
// ("steps=4" is steps, "steps=8+think-tokens=2000" is
// steps+think-tokens), loop=K left out unless it is the only key; "none"
// is none, a budget that does not parse is itself, and the empty budget of
// records from `rein run` logs is "-".
func BudgetKind(budget string) string {
	switch budget {
	case "":
		return "-"
	case KeyNone:
		return KeyNone
	}
	if _, err := ParseBudget(budget); err != nil {
		return budget
	}
	var keys []string
	for _, p := range strings.Split(budget, "+") {
		k, _, _ := strings.Cut(p, "=")
		if k != KeyLoop {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return KeyLoop
	}
	return strings.Join(keys, "+")
}

// kindRank orders kinds: none first (the reference), then the fixed
// budgets, the adaptive ones, combinations, and others by name.
func kindRank(kind string) int {
	switch kind {
	case KeyNone:
		return 0
	case KeySteps:
		return 1
	case KeyThinkTokens:
		return 2
	case KeyThinkTime:
		return 3
	case KeyLoop:
		return 4
	case KeyAgree:
		return 5
	case KeyConfidence:
		return 6
	case "-":
		return 8
	}
	return 7
}

func probingKind(kind string) bool {
	for _, k := range strings.Split(kind, "+") {
		if k == KeyAgree || k == KeyConfidence {
			return true
		}
	}
	return false
}

// KindPoints groups results by model, reasoning axis point and budget,
// sorted by model, reasoning, kind (none, steps, think-tokens, think-time,
// loop, agree, confidence, the rest) and budget.
func KindPoints(results []Result) []KindPoint {
	type key struct{ model, reasoning, budget string }
	groups := map[key]*KindPoint{}
	sums := map[key][2]float64{}
	for i := range results {
		r := &results[i]
		if r.Failed() {
			continue
		}
		k := key{r.Model, r.Reasoning, r.Budget}
		p := groups[k]
		if p == nil {
			kind := BudgetKind(r.Budget)
			p = &KindPoint{Model: r.Model, Reasoning: r.Reasoning, Kind: kind, Budget: r.Budget, Probes: probingKind(kind)}
			groups[k] = p
		}
		p.Runs++
		if r.Check != nil {
			p.Checked++
			if r.Check.Pass {
				p.Passed++
			}
		}
		s := sums[k]
		s[0] += r.Metrics.ThinkingTokens + r.Metrics.ProbeTokens
		s[1] += r.Metrics.ProbeTokens
		sums[k] = s
	}
	out := make([]KindPoint, 0, len(groups))
	for k, p := range groups {
		p.Accuracy = math.NaN()
		if p.Checked > 0 {
			p.Accuracy = float64(p.Passed) / float64(p.Checked)
		}
		p.ThinkMean, p.ProbeMean = sums[k][0]/float64(p.Runs), sums[k][1]/float64(p.Runs)
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b KindPoint) int {
		switch {
		case a.Model != b.Model:
			return strings.Compare(a.Model, b.Model)
		case a.Reasoning != b.Reasoning:
			return strings.Compare(a.Reasoning, b.Reasoning)
		case kindRank(a.Kind) != kindRank(b.Kind):
			return kindRank(a.Kind) - kindRank(b.Kind)
		case a.Kind != b.Kind:
			return strings.Compare(a.Kind, b.Kind)
		case a.Budget == b.Budget:
			return 0
		case budgetLess(a.Budget, b.Budget):
			return -1
		}
		return 1
	})
	return out
}

// BestFixed returns, for a point that probes, the most accurate point of
// the same model and reasoning that does not probe and spends no more
// mean thinking tokens (ties go to fewer tokens); ok is false when there
// is none, or when p does not probe or has no accuracy.
func BestFixed(points []KindPoint, p KindPoint) (best KindPoint, ok bool) {
	if !p.Probes || math.IsNaN(p.Accuracy) {
		return KindPoint{}, false
	}
	for _, q := range points {
		if q.Model != p.Model || q.Reasoning != p.Reasoning || q.Probes || math.IsNaN(q.Accuracy) ||
			q.ThinkMean > p.ThinkMean {
			continue
		}
		if !ok || q.Accuracy > best.Accuracy || q.Accuracy == best.Accuracy && q.ThinkMean < best.ThinkMean {
			best, ok = q, true
		}
	}
	return best, ok
}

// kindTable returns the budget kinds table as text cells, for Markdown
// and HTML.
func kindTable(points []KindPoint) (header []string, cells [][]string) {
	reasoning := slices.ContainsFunc(points, func(p KindPoint) bool { return p.Reasoning != "" })
	header = []string{"model"}
	if reasoning {
		header = append(header, "reasoning")
	}
	header = append(header, "kind", "budget", "runs", "acc", "think tok mean", "probe tok mean", "best fixed at ≤ tokens")
	for _, p := range points {
		c := []string{p.Model}
		if reasoning {
			c = append(c, ReasoningName(p.Reasoning))
		}
		budget := p.Budget
		if budget == "" {
			budget = "-"
		}
		c = append(c, p.Kind, budget, fmt.Sprint(p.Runs), accCell(p), cell(p.ThinkMean, 1), cell(p.ProbeMean, 1))
		best := ""
		if b, ok := BestFixed(points, p); ok {
			best = fmt.Sprintf("%s: %s at %s", b.Budget, accCell(b), cell(b.ThinkMean, 1))
		} else if p.Probes {
			best = "no fixed budget spends so little"
		}
		cells = append(cells, append(c, best))
	}
	return header, cells
}

func accCell(p KindPoint) string {
	if p.Checked == 0 {
		return pct(p.Accuracy)
	}
	return fmt.Sprintf("%s (%d/%d)", pct(p.Accuracy), p.Passed, p.Checked)
}

// kindTextCols is the number of text columns that lead the kinds table.
func kindTextCols(header []string) int {
	return slices.Index(header, "runs")
}

const kindNote = "Each budget's runs, all variants together. think tok mean is the mean over the runs " +
	"of thinking tokens plus the answer probes' tokens (agree=K, confidence=P), so an early exit pays " +
	"for its probes; probe tok mean is the probes' share. For a budget that probes, best fixed at ≤ tokens " +
	"is the most accurate budget that does not probe and spends no more mean thinking tokens."

// writeKindsMarkdown writes the budget kinds section of report.md.
func writeKindsMarkdown(b *bytes.Buffer, points []KindPoint) {
	b.WriteString("## Accuracy against mean thinking tokens, by budget kind\n\n")
	header, cells := kindTable(points)
	esc := strings.NewReplacer("|", `\|`, "\n", " ")
	line := func(cs []string) {
		for i := range cs {
			cs[i] = esc.Replace(cs[i])
		}
		b.WriteString("| " + strings.Join(cs, " | ") + " |\n")
	}
	line(slices.Clone(header))
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
		if i >= kindTextCols(header) && i < len(header)-1 {
			sep[i] = "--:"
		}
	}
	line(sep)
	for _, c := range cells {
		line(c)
	}
	b.WriteString("\n" + kindNote + "\n\n![accuracy](accuracy.png)\n\n")
}
