package consensus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/runner"
)

// Chain is one chain of a consensus run.
type Chain struct {
	// Lang is the language the chain reasons in (ISO 639-1, one of
	// Languages); "" lets the model reason as it will.
	Lang string
	// Model, when set, replaces the request's model (an ensemble).
	Model string
	// Seed, when set, replaces the request's seed (self-consistency
	// samples).
	Seed *int
}

// Options tune Run.
type Options struct {
	// Parallel is how many chains run at once; 0 runs them all at once.
	// The server queues what it cannot run in parallel
	// (OLLAMA_NUM_PARALLEL).
	Parallel int
	// Hooks, when set, gives chain i hooks of its own, after the request's
	// (which all chains share: Run calls them one event at a time).
	// Stateful hooks, such as a LanguageSwitch, need one per chain.
	Hooks func(i int) []hooks.Hook
	// Done, when set, is called as each chain ends, one call at a time.
	Done func(i int, rec *runner.Record, err error)
	// Now is the clock for the run's wall time; nil means time.Now.
	Now func() time.Time
}

// ChainRequest is the request of a chain that reasons in lang and answers
// in promptLang (the prompt's language): the thinking prefix in lang and,
// when the two differ, the instruction to answer in promptLang added to
// the system prompt. An empty or unknown lang leaves the reasoning alone,
// and a prompt whose language is unknown (hooks.LangUnknown) gets no
// instruction.
// Everything else, budgets included, is base's.
func ChainRequest(base *runner.Request, lang, promptLang string) *runner.Request {
	q := *base
	if p := ThinkPrefix(lang); p != "" {
		q.ThinkPrefix = p
		if hooks.KnownLanguage(promptLang) && !strings.EqualFold(promptLang, lang) {
			q.SystemNote = AnswerInstruction(promptLang)
		}
	}
	return &q
}

// Run runs the chains of a consensus on base's prompt, at most
// o.Parallel at a time, each a full run with base's budgets, and votes on
// their answers. Chain i's run id is base's (a random one when empty)
// followed by "." and i+1.
//
// The record it returns is the winning chain's, under base's run id, with
// Consensus set: the vote and every chain's record. A failed chain is
// recorded but does not vote. The error is the context's when the run was
// interrupted, or the first chain's error when no chain gave an answer;
// the record is never nil.
func Run(ctx context.Context, r *runner.Runner, base *runner.Request, chains []Chain, o Options) (*runner.Record, error) {
	if len(chains) == 0 {
		return nil, errors.New("consensus: no chains")
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	id := base.RunID
	if id == "" {
		id = newID()
	}
	promptLang := hooks.DetectLanguage(promptOf(base))
	par := o.Parallel
	if par <= 0 || par > len(chains) {
		par = len(chains)
	}

	start := now()
	recs := make([]*runner.Record, len(chains))
	errs := make([]error, len(chains))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var mu sync.Mutex
	shared := lockHooks(base.Hooks)
	for i, c := range chains {
		q := ChainRequest(base, c.Lang, promptLang)
		q.RunID = fmt.Sprintf("%s.%d", id, i+1)
		if c.Model != "" {
			q.Model = c.Model
		}
		if c.Seed != nil {
			s := *c.Seed
			q.Seed = &s
		}
		q.Hooks = append([]hooks.Hook(nil), shared...)
		if o.Hooks != nil {
			q.Hooks = append(q.Hooks, o.Hooks(i)...)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
				recs[i], errs[i] = r.Run(ctx, q)
			case <-ctx.Done():
				errs[i] = ctx.Err()
				recs[i] = &runner.Record{RunID: q.RunID, Model: q.Model, Prompt: promptOf(q), Ending: runner.Ending{CutReason: hooks.ReasonInterrupted},
					Error: ctx.Err().Error(), TokenMS: []float64{}, Hardware: map[string]any{}, Passes: []runner.Pass{}}
			}
			if o.Done != nil {
				mu.Lock()
				o.Done(i, recs[i], errs[i])
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	answers := make([]string, len(chains))
	for i, rec := range recs {
		if errs[i] == nil {
			answers[i] = rec.Answer
		}
	}
	t := Vote(answers)
	win := max(t.Winner, 0)
	if t.Winner < 0 {
		// No answer: report the first chain that did not fail, else the first.
		for i := range errs {
			if errs[i] == nil {
				win = i
				break
			}
		}
	}
	out := *recs[win]
	out.RunID = id
	langs := make([]string, len(chains))
	for i, c := range chains {
		langs[i] = c.Lang
	}
	out.Consensus = &runner.Consensus{
		Answer:   t.Key,
		Votes:    t.Votes,
		Winner:   win,
		Keys:     t.Keys,
		ReasonIn: langs,
		WallMS:   float64(now().Sub(start)) / float64(time.Millisecond),
		Chains:   recs,
	}
	out.Warnings = append([]string(nil), out.Warnings...)
	for i, err := range errs {
		if err != nil && ctx.Err() == nil {
			out.Warnings = append(out.Warnings, fmt.Sprintf("chain %d failed: %v", i+1, err))
		}
	}
	switch {
	case ctx.Err() != nil:
		return &out, ctx.Err()
	case t.Winner < 0 && errs[win] != nil:
		return &out, errs[win]
	}
	return &out, nil
}

func promptOf(q *runner.Request) string {
	if q.Prompt != "" {
		return q.Prompt
	}
	for i := len(q.Messages) - 1; i >= 0; i-- {
		if q.Messages[i].Role == "user" {
			return q.Messages[i].Content
		}
	}
	return ""
}
