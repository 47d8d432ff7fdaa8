package tiny_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"

	"github.com/rein-dev/rein/bench"
	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/models/tiny"
	"github.com/rein-dev/rein/runner"
)

var srv *ollamatest.Server

func TestMain(m *testing.M) { os.Exit(ollamatest.RunMain(m, &srv, ollamatest.Options{})) }

var (
	createOnce sync.Once
	createErr  error
)

// need returns the server with the tiny model created on it.
func need(t *testing.T) *ollamatest.Server {
	t.Helper()
	s := ollamatest.Need(t, srv)
	createOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		createErr = tiny.Create(ctx, s.Client, tiny.Name)
	})
	if createErr != nil {
		t.Fatal(createErr)
	}
	return s
}

func run(t *testing.T, s *ollamatest.Server, q *runner.Request) *runner.Record {
	t.Helper()
	zero := 0.0
	q.Model, q.Think, q.Temperature = tiny.Name, budget.Ptr(true), &zero
	if q.Budgets.MaxTokens == nil {
		q.Budgets.MaxTokens = budget.Ptr(1024)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rec, err := (&runner.Runner{Backend: s.Client}).Run(ctx, q)
	if err != nil {
		t.Fatalf("%q: %v", q.Prompt, err)
	}
	return rec
}

// The server loads the GGUF, reports a thinking model, and the model thinks
// in steps before it answers.
func TestLoadsAndThinks(t *testing.T) {
	s := need(t)
	show, err := s.Client.Show(context.Background(), &api.ShowRequest{Model: tiny.Name})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(show.Capabilities, model.CapabilityThinking) {
		t.Errorf("capabilities %v, want thinking", show.Capabilities)
	}
	rec := run(t, s, &runner.Request{Prompt: "How many animals are in this list: cat, dog, owl, fox?", Budgets: budget.Budgets{Loop: budget.Ptr(3)}})
	t.Logf("thinking %q answer %q", rec.Thinking, rec.Answer)
	if rec.Steps != 4 || !strings.Contains(rec.Thinking, "Number 4 is fox.") {
		t.Errorf("thinking %q in %d steps, want one item a step", rec.Thinking, rec.Steps)
	}
	if rec.Answer != "There are 4 animals." {
		t.Errorf("answer %q", rec.Answer)
	}
}

// score runs the cases at a step budget (0: none) and returns the share of
// scored runs that pass, and how many runs the loop detector cut.
func score(t *testing.T, s *ollamatest.Server, cases []*bench.Case, steps int) (acc float64, loops int, byTask map[string][2]int) {
	byTask = map[string][2]int{}
	pass, scored := 0, 0
	for _, c := range cases {
		rec := run(t, s, &runner.Request{Prompt: c.Prompt, Budgets: budget.Budgets{MaxSteps: budget.Ptr(steps), Loop: budget.Ptr(3)}})
		if rec.CutReason == "loop" {
			loops++
		}
		if c.Check == nil {
			continue
		}
		ok, _ := c.Check.Score(rec.Thinking, rec.Answer)
		v := byTask[c.Tags[0]]
		v[1]++
		scored++
		if ok {
			pass++
			v[0]++
		}
		byTask[c.Tags[0]] = v
	}
	return float64(pass) / float64(scored), loops, byTask
}

// suiteCases is the whole tiny suite: 200 runs take seconds.
func suiteCases(t *testing.T) []*bench.Case {
	s, ok := bench.BuiltinSuite("tiny")
	if !ok {
		t.Fatal("no tiny suite")
	}
	return s.Cases
}

// Accuracy against budget on the real server, at temperature 0: at least
// 90% with no budget, and at least minMargin less at steps=1, where the
// forced answer has one step of the trace to go on (measured on v0.17.4 and
// v0.24.0: 96% with no budget, 0% at steps=1); the chains that come back on
// themselves loop until the loop detector cuts them (all 16 of them).
func TestSuiteAccuracyAgainstBudget(t *testing.T) {
	s := need(t)
	if testing.Short() {
		t.Skip("slow")
	}
	cases := suiteCases(t)
	const minMargin = 0.5
	none, loops, byNone := score(t, s, cases, 0)
	one, _, byOne := score(t, s, cases, 1)
	t.Logf("%d cases: accuracy %.3f with no budget %v, %.3f at steps=1 %v; %d runs cut by the loop detector",
		len(cases), none, byNone, one, byOne, loops)
	if none < 0.9 {
		t.Errorf("accuracy with no budget %.3f, want 0.9 or more", none)
	}
	if none-one < minMargin {
		t.Errorf("accuracy at steps=1 %.3f, want at least %.2f below %.3f", one, minMargin, none)
	}
	if loops == 0 {
		t.Error("no unbudgeted run was cut by the loop detector")
	}
}

// The resume after a cut evaluates the budget message and the closing tag,
// in the model's own tokens, and takes the trace from the cache: the
// vocabulary round-trips what the model wrote.
func TestResumeCost(t *testing.T) {
	s := need(t)
	rec := run(t, s, &runner.Request{Prompt: "Count the fruits: apple, pear, plum, fig, lemon.", Budgets: budget.Budgets{MaxSteps: budget.Ptr(2)}})
	if rec.CutReason != "steps" || rec.Metrics.Resumes != 1 {
		t.Fatalf("cut %q, %d resumes", rec.CutReason, rec.Metrics.Resumes)
	}
	ctx := context.Background()
	var n int
	raw, stream := true, false
	err := s.Client.Generate(ctx, &api.GenerateRequest{Model: tiny.Name, Raw: raw, Stream: &stream,
		Prompt: strings.TrimLeft(rec.Budgets.BudgetMessage, "\n") + "</think>", Options: map[string]any{"num_predict": 1}},
		func(r api.GenerateResponse) error { n = r.PromptEvalCount; return nil })
	if err != nil {
		t.Fatal(err)
	}
	got := rec.Metrics.ResumeEvalTokens
	t.Logf("resume evaluated %d prompt tokens (%s); the budget message and the closing tag are %d tokens; answer %q",
		got, rec.Metrics.ResumeEvalSource, n, rec.Answer)
	if got < n || got > n+2 {
		t.Errorf("resume evaluated %d tokens, want the message and tag's %d (+2 at most)", got, n)
	}
	if rec.Answer != "There are 2 fruits." {
		t.Errorf("answer after a cut at 2 steps %q, want the count so far", rec.Answer)
	}
}
