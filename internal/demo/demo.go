// Package demo is `rein dev demo` (what `make demo` runs): the scripted
// runaway model cut by a step budget, then the learned tiny reasoner, on
// the server at OLLAMA_HOST or a private one it starts.
package demo

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/internal/localserver"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/models/scripted"
	"github.com/rein-dev/rein/models/tiny"
	"github.com/rein-dev/rein/runner"
)

// Options are the demo's: its streams, the runaway model's step budget,
// and how to run one request as rein run shows it (verbose: with the
// figures).
type Options struct {
	IO       *term.IOStreams
	MaxSteps int
	RunOnce  func(ctx context.Context, c runner.Backend, req *runner.Request, verbose bool) (*runner.Record, error)
}

// Run creates the demo models and runs rein on the runaway one: its
// thinking loops forever, the step budget cuts it, and rein still gets an
// answer. The figures follow, as `rein run --verbose` prints them.
func Run(ctx context.Context, opts Options) error {
	c, stop, _, err := Connect(ctx, opts.IO)
	if err != nil {
		return err
	}
	defer stop()
	if err := CreateModels(ctx, opts.IO, c); err != nil {
		return err
	}
	ios := opts.IO
	const prompt = "How many r's are in strawberry?"
	fmt.Fprintf(ios.ErrOut, "\n$ rein run rein-demo/runaway %q --max-steps %d --verbose\n\n", prompt, opts.MaxSteps)
	req := &runner.Request{
		Model: "rein-demo/runaway", Prompt: prompt,
		Budgets: budget.Budgets{MaxSteps: budget.Ptr(opts.MaxSteps)},
	}
	rec, err := opts.RunOnce(ctx, c, req, true)
	if err != nil {
		return err
	}
	m := rec.Metrics
	fmt.Fprintf(ios.ErrOut, "\nThe runaway model never closes its thinking; rein cut it after %d steps (%s)\n"+
		"and closed the trace with the budget message. The resume sent %d prompt tokens:\n"+
		"the KV cache held %d of them (the prompt and the thinking), and the server\n"+
		"evaluated the other %d (the budget message, the closing tag, and what the\n"+
		"cache had dropped) to get the answer.\n", rec.Steps, rec.CutReason, m.ResumePromptTokens,
		max(m.ResumePromptTokens-m.ResumeEvalTokens, 0), m.ResumeEvalTokens)
	return runTiny(ctx, opts, c)
}

// runTiny runs rein on the learned tiny reasoner (models/tiny): a count it
// thinks through, with the detour it learned to take on long lists; the same
// count reined in at a few steps, where its forced answer is the count so
// far, wrong; and a chain that comes back on itself, which it follows round
// and round until the loop detector cuts it.
func runTiny(ctx context.Context, opts Options, c *api.Client) error {
	ios := opts.IO
	if err := createTiny(ctx, ios, c); err != nil {
		return err
	}
	const count = "How many animals are in this list: cat, dog, owl, fox, cow, pig, hen?"
	const loop = "The box is in the bag. The bag is in the jar. The jar is in the box. Where is the box?"
	fmt.Fprintf(ios.ErrOut, "\nNow a model that learned to think: %s, a %s trained here on\n"+
		"counting, column addition and chains of \"X is in Y\" (models/tiny/MODEL.md).\n", tiny.Name, "small llama")
	runs := []struct {
		flags, prompt string
		steps         int
	}{
		{"", count, 0},
		{" --max-steps 4", count, 4},
		{"", loop, 0},
	}
	for _, r := range runs {
		fmt.Fprintf(ios.ErrOut, "\n$ rein run %s %q%s\n\n", tiny.Name, r.prompt, r.flags)
		req := &runner.Request{Model: tiny.Name, Prompt: r.prompt,
			Budgets: budget.Budgets{MaxSteps: budget.Ptr(r.steps), MaxTokens: budget.Ptr(2048)}}
		rec, err := opts.RunOnce(ctx, c, req, false)
		if err != nil {
			return err
		}
		why := "it closed its thinking itself"
		if rec.CutReason != "" {
			why = "rein cut it (" + rec.CutReason + ") and it answered from what it had"
		}
		fmt.Fprintf(ios.ErrOut, "\n%d steps; %s: %s\n", rec.Steps, why, strings.TrimSpace(rec.Answer))
	}
	fmt.Fprintln(ios.ErrOut, "\nThe count is right when the model thinks it through (its detour, \"Wait, let me\n"+
		"recount.\", is overthinking it learned on long lists), wrong when four steps are all\n"+
		"it gets; the chain has no end, and the loop detector stops it. `rein bench --suite\n"+
		"tiny --budgets steps=1,2,4,8,none` measures accuracy against the budget.")
	return nil
}

// Connect returns a client for the server at OLLAMA_HOST, or starts a
// private one when none answers (started; OLLAMA_HOST then names it). stop
// is never nil.
func Connect(ctx context.Context, ios *term.IOStreams) (c *api.Client, stop func(), started bool, err error) {
	c, err = models.ClientFromEnvironment()
	if err != nil {
		return nil, nil, false, err
	}
	vctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, verr := c.Version(vctx)
	cancel()
	if verr == nil {
		return c, func() {}, false, nil
	}
	fmt.Fprintln(ios.ErrOut, term.Dim(ios, "no Ollama server answers at OLLAMA_HOST; starting a private one on loopback"))
	s, err := localserver.Start(ctx, localserver.Options{})
	if err != nil {
		return nil, nil, false, fmt.Errorf("start ollama: %w", err)
	}
	os.Setenv("OLLAMA_HOST", s.Host)
	fmt.Fprintln(ios.ErrOut, term.Dim(ios, "ollama serve on "+s.Host+" (models in "+s.Dir+")"))
	return s.Client, s.Stop, true, nil
}

// CreateModels creates the scripted demo models on c.
func CreateModels(ctx context.Context, ios *term.IOStreams, c *api.Client) error {
	for _, d := range scripted.DemoModels() {
		m, err := scripted.Build(d.Spec)
		if err != nil {
			return fmt.Errorf("demo model %s: %w", d.Name, err)
		}
		if err := scripted.Create(ctx, c, d.Name, m, ""); err != nil {
			return err
		}
		fmt.Fprintln(ios.ErrOut, term.Dim(ios, "created "+d.Name))
	}
	return nil
}

// createTiny creates the tiny model on the server c.
func createTiny(ctx context.Context, ios *term.IOStreams, c *api.Client) error {
	if err := tiny.Create(ctx, c, tiny.Name); err != nil {
		return err
	}
	fmt.Fprintln(ios.ErrOut, term.Dim(ios, "created "+tiny.Name))
	return nil
}
