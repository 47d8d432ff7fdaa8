package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/runner"
)

// chatShowTimeout bounds the /api/show request of /show.
const chatShowTimeout = 10 * time.Second

// show prints /show: the model, its profile, and the budgets and settings
// the next turn runs with, each with where it comes from: a flag, /set, the
// profile or the default.
func (s *chatSession) show(ctx context.Context) {
	p, by, err := s.profile(ctx)
	tw := tabwriter.NewWriter(s.errOut, 0, 0, 2, ' ', 0)
	row := func(k, v, from string) {
		if from == "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
			return
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k, v, from)
	}
	row("model", s.req.Model, "")
	if err != nil {
		row("profile", "unknown", "("+humanize(err)+")")
	} else {
		row("profile", p.Name, fmt.Sprintf("(matched by %s; %s)", by, p.Source))
	}
	for _, b := range chatSettings(s.req, p, s.setBy) {
		row(b.name, b.value, b.from)
	}
	verbose := "off"
	if s.opts.Verbose {
		verbose = "on"
	}
	row("verbose", verbose, "")
	row("conversation", plural(len(s.history)/2, "turn"), "")
	tw.Flush()
}

// profile is the profile the runner picks for the model.
func (s *chatSession) profile(ctx context.Context) (models.Profile, string, error) {
	profiles, err := s.profiles()
	if err != nil {
		return models.Profile{}, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, chatShowTimeout)
	defer cancel()
	show, err := s.client.Show(ctx, &api.ShowRequest{Model: s.req.Model})
	if err != nil {
		return models.Profile{}, "", fmt.Errorf("show %s: %w", s.req.Model, err)
	}
	p, by := models.MatchReason(s.req.Model, show, profiles)
	return p, by, nil
}

// chatSetting is one row of /show.
type chatSetting struct{ name, value, from string }

// chatSettings are the settings q runs with under profile p, in the order
// of the flags, each with where it comes from. setBy holds the ones the user
// chose ("flag" or "/set"); the others are the profile's, where it sets
// them, or the defaults. It follows what the runner does with a request
// (see runner.withProfileBudgets).
func chatSettings(q *runner.Request, p models.Profile, setBy map[string]string) []chatSetting {
	fromProfile := "profile " + p.Name
	pb := p.Budgets
	var out []chatSetting
	add := func(name, value, from string) { out = append(out, chatSetting{name, value, from}) }
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
	budget := func(name string, v, pv int) {
		prof := ""
		if v == 0 && pv != 0 && !slices.Contains(q.KeepZero, name) {
			prof = strconv.Itoa(pv)
		}
		pick(name, numOrNone(v), prof, numOrNone(v))
	}

	think := "on"
	switch {
	case !q.Think:
		think = "off"
	case q.ThinkLevel != "":
		think = q.ThinkLevel
	}
	pick("think", think, "", think)
	budget("max-steps", q.MaxSteps, pb.MaxSteps)
	budget("max-think-tokens", q.MaxThinkTokens, pb.MaxThinkTokens)
	profTime := ""
	if q.MaxThinkTime == 0 && pb.MaxThinkTime != 0 && !slices.Contains(q.KeepZero, "max-think-time") {
		profTime = pb.MaxThinkTime.String()
	}
	pick("max-think-time", durationOrNone(q.MaxThinkTime), profTime, durationOrNone(q.MaxThinkTime))
	budget("max-answer-tokens", q.MaxAnswerTokens, pb.MaxAnswerTokens)
	budget("min-steps", q.MinSteps, pb.MinSteps)
	profLoop := ""
	if q.LoopDefault && pb.Loop != nil {
		profLoop = loopText(*pb.Loop)
	}
	pick("loop", loopText(q.Loop), profLoop, loopText(q.Loop))
	pick("on-limit", firstNonEmptyString(q.OnLimit, runner.OnLimitAnswer), pb.OnLimit, runner.OnLimitAnswer)
	pick("step-split", string(q.StepMode), p.StepSplit, "paragraph")
	pick("max-tokens", strconv.Itoa(q.MaxTokens), "", strconv.Itoa(firstNonZero(q.MaxTokens, runner.DefaultMaxTokens)))
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
		profSystem = clip(p.System, 40)
	}
	pick("system", clip(q.System, 40), profSystem, "the model's")
	profMsg := ""
	if len(p.BudgetMessages) > 0 {
		profMsg = "in the prompt's language"
	}
	pick("budget-message", clip(q.BudgetMessage, 40), profMsg, "rein's")
	return out
}

func numOrNone(n int) string {
	if n == 0 {
		return "none"
	}
	return strconv.Itoa(n)
}

func durationOrNone(d time.Duration) string {
	if d == 0 {
		return "none"
	}
	return d.String()
}

func loopText(k int) string {
	if k == 0 {
		return "off"
	}
	return fmt.Sprintf("%d repeats", k)
}

func firstNonZero(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}
