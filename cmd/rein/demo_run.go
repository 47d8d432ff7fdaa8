package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
)

// demoRun creates the demo models and streams the runaway model.
func demoRun(ctx context.Context, opts *DemoOptions) error {
	c, stop, err := connect(ctx, opts.IO)
	if err != nil {
		return err
	}
	defer stop()
	if err := createDemoModels(ctx, opts.IO, c); err != nil {
		return err
	}
	start := time.Now()
	var final api.GenerateResponse
	var n int
	err = c.Generate(ctx, &api.GenerateRequest{
		Model: "rein-demo/runaway", Prompt: "How many r's are in strawberry?",
		Think: &api.ThinkValue{Value: true}, Options: map[string]any{"num_predict": 120},
	}, func(r api.GenerateResponse) error {
		if r.Thinking != "" {
			n++
			fmt.Fprint(opts.IO.ErrOut, dim(opts.IO, r.Thinking))
		}
		fmt.Fprint(opts.IO.Out, r.Response)
		final = r
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "\n%s\n", strings.Repeat("-", 40))
	fmt.Fprintf(opts.IO.ErrOut, "tokens %d, eval rate %.1f tokens/s, wall %s\n", final.EvalCount,
		float64(final.EvalCount)/final.EvalDuration.Seconds(), time.Since(start).Round(time.Millisecond))
	return nil
}
