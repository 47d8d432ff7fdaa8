package main

import (
	"context"
	"fmt"

	"github.com/rein-dev/rein/bench"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/runner"
)

// withQueueWarning wraps the bench's runners, one per server, so that the
// first run on a server that overlapped another one there and waited in
// the server's queue (runner.QueueWatch: the server runs fewer requests at
// once than --parallel) prints one line that says what to set.
func withQueueWarning(runners []bench.Runner, view *term.BenchProgress, parallel int) []bench.Runner {
	advice := fmt.Sprintf("set OLLAMA_NUM_PARALLEL=%d where the server starts, or use a lower --parallel", parallel)
	out := make([]bench.Runner, len(runners))
	for i, r := range runners {
		out[i] = queueWarn{Runner: r, view: view, advice: advice, watch: &runner.QueueWatch{}}
	}
	return out
}

type queueWarn struct {
	bench.Runner
	view   *term.BenchProgress
	advice string
	watch  *runner.QueueWatch // the server's
}

func (q queueWarn) Run(ctx context.Context, job bench.Job) (*bench.Record, error) {
	ended := q.watch.Begin()
	rec, err := q.Runner.Run(ctx, job)
	overlapped := ended()
	if rec != nil && !job.Warmup {
		if w := q.watch.Warning(&rec.Record, overlapped, q.advice); w != "" {
			q.view.Warn("rein: " + w)
		}
	}
	return rec, err
}
