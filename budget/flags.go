package budget

import (
	"slices"

	"github.com/spf13/pflag"
)

// AddFlags defines a flag for every budget in Names on fs; each sets its
// field of b, which stays nil while its flag is not given. skip names
// flags the command does not take.
func AddFlags(fs *pflag.FlagSet, b *Budgets, skip ...string) {
	def := Budgets{}.Resolve()
	for _, n := range Names {
		if slices.Contains(skip, n.Flag) {
			continue
		}
		d := n.Format(def.Budgets())
		if d == "0" || d == "0s" {
			d = "" // pflag shows no default for a zero
		}
		fs.Var(&flagValue{b: b, n: n, def: d}, n.Flag, n.Usage)
	}
}

// flagValue is a pflag.Value that sets one budget.
type flagValue struct {
	b   *Budgets
	n   Name
	def string
}

func (f *flagValue) String() string {
	if f.b != nil {
		if s := f.n.Format(*f.b); s != "" {
			return s
		}
	}
	return f.def
}

func (f *flagValue) Set(s string) error { return f.n.Parse(f.b, s) }

func (f *flagValue) Type() string {
	switch f.n.Kind {
	case KindTokens, KindSteps:
		return "int"
	case KindDuration:
		return "duration"
	case KindProbability:
		return "float"
	}
	return "string"
}

// Budgets returns the limits as budgets that set every field (StepMode and
// BudgetMessage only when not "").
func (l Limits) Budgets() Budgets {
	b := Budgets{
		MaxTokens: &l.MaxTokens, MaxThinkTokens: &l.MaxThinkTokens, MaxThinkTime: &l.MaxThinkTime,
		MaxSteps: &l.MaxSteps, MinSteps: &l.MinSteps, MaxAnswerTokens: &l.MaxAnswerTokens, Loop: &l.Loop,
		OnLimit: &l.OnLimit, ExitOnAgreement: &l.ExitOnAgreement, ExitOnConfidence: &l.ExitOnConfidence,
		ProbeEvery: &l.ProbeEvery, ProbeTokens: &l.ProbeTokens,
	}
	if l.StepMode != "" {
		b.StepMode = &l.StepMode
	}
	if l.BudgetMessage != "" {
		b.BudgetMessage = &l.BudgetMessage
	}
	return b
}
