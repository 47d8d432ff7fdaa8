package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/models/tiny"
	"github.com/rein-dev/rein/runner"
)

// demoTiny runs rein on the learned tiny reasoner (models/tiny): a count it
// thinks through, with the detour it learned to take on long lists; the same
// count reined in at a few steps, where its forced answer is the count so
// far, wrong; and a chain that comes back on itself, which it follows round
// and round until the loop detector cuts it.
func demoTiny(ctx context.Context, opts *DemoOptions, c *api.Client) error {
	ios := opts.IO
	if err := createTinyModel(ctx, ios, c); err != nil {
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
		run := &RunOptions{IO: ios, Now: time.Now, NoLog: true}
		req := &runner.Request{Model: tiny.Name, Prompt: r.prompt,
			Budgets: budget.Budgets{MaxSteps: budget.Ptr(r.steps), MaxTokens: budget.Ptr(2048)}}
		rec, err := run.runOnce(ctx, c, req)
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
