package chat

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/runner"
)

// showTimeout bounds the /api/show request of /show.
const showTimeout = 10 * time.Second

// show prints /show: the model, its profile, and the budgets and settings
// the next turn runs with, each with where it comes from: a flag, /set, the
// profile or the default.
func (s *Session) show(ctx context.Context) {
	p, by, err := s.profile(ctx)
	tw := tabwriter.NewWriter(s.IO.ErrOut, 0, 0, 2, ' ', 0)
	row := func(k, v, from string) {
		if from == "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
			return
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k, v, from)
	}
	row("model", s.Req.Model, "")
	if err != nil {
		row("profile", "unknown", "("+s.Humanize(err)+")")
	} else {
		row("profile", p.Name, fmt.Sprintf("(matched by %s; %s)", by, p.Source))
	}
	for _, b := range Settings(s.Req, p, s.SetBy) {
		row(b.Name, b.Value, b.From)
	}
	verbose := "off"
	if *s.Verbose {
		verbose = "on"
	}
	row("verbose", verbose, "")
	row("conversation", term.Plural(len(s.history)/2, "turn"), "")
	tw.Flush()
}

// profile is the profile the runner picks for the model.
func (s *Session) profile(ctx context.Context) (models.Profile, string, error) {
	profiles, err := s.Profiles()
	if err != nil {
		return models.Profile{}, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, showTimeout)
	defer cancel()
	show, err := s.Backend.Show(ctx, &api.ShowRequest{Model: s.Req.Model})
	if err != nil {
		return models.Profile{}, "", fmt.Errorf("show %s: %w", s.Req.Model, err)
	}
	p, by := models.MatchReason(s.Req.Model, show, profiles)
	return p, by, nil
}

// Setting is one row of /show.
type Setting struct{ Name, Value, From string }

// Settings are the settings q runs with under profile p, in the order
// of the flags, each with where it comes from. setBy holds the ones the user
// chose ("flag" or "/set"); the others are the profile's, where it sets
// them, or the defaults. It follows what the runner does with a request
// (see runner.withProfileBudgets).
func Settings(q *runner.Request, p models.Profile, setBy map[string]string) []Setting {
	fromProfile := "profile " + p.Name
	pb := p.Budgets
	var out []Setting
	add := func(name, value, from string) { out = append(out, Setting{name, value, from}) }
	pick := func(name string, mine string, profile string, def string) {
		switch {
		case setBy[name] != "":
			add(name, mine, setBy[name])
		case profile != "":
			add(name, profile, fromProfile)
		default:
			add(name, def, "default")
		}
	}
	think := "on"
	switch {
	case !(q.Think == nil || *q.Think):
		think = "off"
	case q.ThinkLevel != "":
		think = q.ThinkLevel
	}
	pick("think", think, "", think)
	def := budget.Budgets{}.Resolve().Budgets()
	for _, n := range budget.Names {
		if n.Flag == "budget-message" {
			continue // below, with the model's settings
		}
		if n.IsSet(q.Budgets) { // the user's: a flag or /set
			add(n.Flag, showBudget(n, q.Budgets), cmp.Or(setBy[n.Flag], "flag"))
			continue
		}
		prof := ""
		switch {
		case n.IsSet(pb):
			prof = showBudget(n, pb)
		case n.Flag == "step-split":
			prof = p.StepSplit
		}
		d := showBudget(n, def)
		if n.Flag == "step-split" {
			d = "paragraph"
		}
		pick(n.Flag, "", prof, d)
	}
	pick("num-ctx", strconv.Itoa(q.NumCtx), "", "sized to each turn")
	profTemp := ""
	if t, ok := p.Options["temperature"]; ok {
		profTemp = fmt.Sprint(t)
	}
	temp := ""
	if q.Temperature != nil {
		temp = strconv.FormatFloat(*q.Temperature, 'g', -1, 64)
	}
	pick("temperature", temp, profTemp, "the model's")
	seed := ""
	if q.Seed != nil {
		seed = strconv.Itoa(*q.Seed)
	}
	pick("seed", seed, "", "random")
	profSystem := ""
	if p.System != "" {
		profSystem = term.Clip(p.System, 40)
	}
	pick("system", term.Clip(q.System, 40), profSystem, "the model's")
	profMsg := ""
	if len(p.BudgetMessages) > 0 {
		profMsg = "in the prompt's language"
	}
	msg := ""
	if q.Budgets.BudgetMessage != nil {
		msg = *q.Budgets.BudgetMessage
	}
	pick("budget-message", term.Clip(msg, 40), profMsg, "rein's")
	return out
}

// showBudget is a budget's value in /show: "none" for a limit of 0, the
// loop cut as "K repeats" or "off".
func showBudget(n budget.Name, b budget.Budgets) string {
	v := n.Format(b)
	switch {
	case (n.Flag == "loop" || n.Axis == "agree" || n.Axis == "confidence") && v == "0":
		return "off"
	case n.Flag == "loop":
		return v + " repeats"
	case v == "0" || v == "0s":
		return "none"
	}
	return v
}
