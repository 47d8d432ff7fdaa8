package main

import (
	"context"
	"fmt"
	"time"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/runner"
)

// demoRun creates the demo models and runs rein on the runaway one: its
// thinking loops forever, the step budget cuts it, and rein still gets an
// answer. The figures follow, as `rein run --verbose` prints them.
func demoRun(ctx context.Context, opts *DemoOptions) error {
	c, stop, err := connect(ctx, opts.IO)
	if err != nil {
		return err
	}
	defer stop()
	if err := createDemoModels(ctx, opts.IO, c); err != nil {
		return err
	}
	ios := opts.IO
	const prompt = "How many r's are in strawberry?"
	fmt.Fprintf(ios.ErrOut, "\n$ rein run rein-demo/runaway %q --max-steps %d --verbose\n\n", prompt, opts.MaxSteps)
	run := &RunOptions{IO: ios, Now: time.Now, Verbose: true, NoLog: true}
	req := &runner.Request{
		Model: "rein-demo/runaway", Prompt: prompt,
		Budgets: budget.Budgets{MaxSteps: budget.Ptr(opts.MaxSteps)},
	}
	rec, err := run.runOnce(ctx, c, req)
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
	return demoTiny(ctx, opts, c)
}
