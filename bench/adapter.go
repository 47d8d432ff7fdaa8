package bench

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/consensus"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/runner"
)

// Record is one line of a results file: the run's record (the keys of
// `rein run --json`), the host that ran it, and the bench's keys.
type Record struct {
	runner.Record
	Host    string       `json:"host"`
	Case    string       `json:"case"`
	Variant string       `json:"variant"`
	Budget  string       `json:"budget"`
	Repeat  int          `json:"repeat"`
	Seed    int          `json:"seed"`
	Check   *CheckResult `json:"check"`
	// Reasoning is the point on the reasoning axis (Job.Reasoning); absent
	// from the records of benches without the axis.
	Reasoning string `json:"reasoning,omitempty"`
}

// ConsensusAxis prefixes a consensus point on the reasoning axis
// (Job.Reasoning): "consensus=en+zh+fr".
const ConsensusAxis = "consensus="

// WarmupReason is the abort that ends a warm-up run once the model is
// loaded and the prompt evaluated.
const WarmupReason = "warm-up done"

// HostRunner runs jobs with the runner on one server: it maps each job to a
// runner request and returns the run's record with the host's name.
type HostRunner struct {
	Backend runner.Backend
	// Host names the server in the records (host:port).
	Host      string
	MaxTokens int
	// NumCtx is the context size of each model, fixed for the bench so
	// that no run reloads the model.
	NumCtx    map[string]int
	KeepAlive *api.Duration
	Now       func() time.Time
	// Profiles are the built-ins with the user's profile file.
	Profiles []models.Profile
}

// Request maps a job to a runner request.
func (h *HostRunner) Request(job Job) *runner.Request {
	seed := job.Seed
	req := &runner.Request{
		Model: job.Model, Prompt: job.Prompt, Think: budget.Ptr(true),
		NumCtx: h.NumCtx[job.Model], KeepAlive: h.KeepAlive, Seed: &seed,
		Budgets: job.Budget.Request(), ProbeKey: consensus.Normalise,
	}
	if h.MaxTokens > 0 {
		req.Budgets.MaxTokens = budget.Ptr(h.MaxTokens)
	}
	if job.Case != nil {
		req.System = job.Case.System
	}
	if job.Reasoning != "" && !strings.HasPrefix(job.Reasoning, ConsensusAxis) {
		req = consensus.ChainRequest(req, job.Reasoning, hooks.DetectLanguage(job.Prompt))
	}
	if job.Warmup {
		// The runner's prefill pass loads the model and evaluates the
		// prompt with the bench's num_ctx; the run ends at its start.
		req.Budgets = budget.Budgets{MaxTokens: req.Budgets.MaxTokens, Loop: budget.Ptr(0)}.Or(budget.None())
		req.Hooks = []hooks.Hook{hooks.Func(func(_ context.Context, ev *hooks.Event) hooks.Decision {
			if ev.Kind == hooks.KindRunStart {
				return hooks.Decision{Action: hooks.Abort, Reason: WarmupReason}
			}
			return hooks.Decision{}
		})}
	}
	return req
}

// Run runs a job: one chain, or a consensus of chains for a consensus
// point of the reasoning axis. A model the server does not have is a
// models.NotFoundError.
func (h *HostRunner) Run(ctx context.Context, job Job) (*Record, error) {
	r := &runner.Runner{Backend: h.Backend, Now: h.Now, Profiles: h.Profiles}
	var rec *runner.Record
	var err error
	if langs, ok := strings.CutPrefix(job.Reasoning, ConsensusAxis); ok && !job.Warmup {
		var chains []consensus.Chain
		for _, l := range strings.Split(langs, "+") {
			chains = append(chains, consensus.Chain{Lang: l})
		}
		rec, err = consensus.Run(ctx, r, h.Request(job), chains, consensus.Options{Now: h.Now})
	} else {
		rec, err = r.Run(ctx, h.Request(job))
	}
	if job.Warmup && errors.Is(err, runner.ErrAborted) && ctx.Err() == nil {
		rec.Error, err = "", nil
	}
	out := &Record{Host: h.Host}
	if rec != nil {
		out.Record = *rec
	}
	return out, models.WrapNotFound(err, job.Model)
}
