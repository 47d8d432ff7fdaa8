package main

import (
	"context"
	"fmt"

	"github.com/rein-dev/rein/bench"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/runner"
)

// withQueueWarning wraps the bench's runners so that the first run in the
// process that waited in a server's queue (runner.QueueWarning: the
// server runs fewer requests at once than --parallel) prints one line that
// says what to set.
func withQueueWarning(runners []bench.Runner, view *term.BenchProgress, parallel int) []bench.Runner {
	advice := "the server is busy with other requests: run the bench while it is idle, or on a server of its own (--host)"
	if parallel > 1 {
		advice = fmt.Sprintf("set OLLAMA_NUM_PARALLEL=%d where the server starts, or use a lower --parallel", parallel)
	}
	out := make([]bench.Runner, len(runners))
	for i, r := range runners {
		out[i] = queueWarn{Runner: r, view: view, advice: advice}
	}
	return out
}

type queueWarn struct {
	bench.Runner
	view   *term.BenchProgress
	advice string
}

func (q queueWarn) Run(ctx context.Context, job bench.Job) (*bench.Record, error) {
	rec, err := q.Runner.Run(ctx, job)
	if rec != nil && !job.Warmup {
		if w := runner.QueueWarning(&rec.Record, q.advice); w != "" {
			q.view.Warn("rein: " + w)
		}
	}
	return rec, err
}
