package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rein-dev/rein/consensus"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/runner"
)

// checkLanguageFlags validates --on-language-switch, --reason-in and the
// consensus flags, and normalises the language codes.
func (o *RunOptions) checkLanguageFlags() error {
	if _, err := consensus.NewLanguageWatch(o.OnLanguageSwitch); err != nil {
		return usageError{err}
	}
	known := func(flag, l string) (string, error) {
		l, err := consensus.CheckLanguage(l)
		if err != nil {
			return "", usageErrorf("%s: %v", flag, err)
		}
		return l, nil
	}
	if o.ReasonIn != "" {
		l, err := known("--reason-in", o.ReasonIn)
		if err != nil {
			return err
		}
		o.ReasonIn = l
	}
	for i, l := range o.Consensus {
		l, err := known("--consensus", l)
		if err != nil {
			return err
		}
		o.Consensus[i] = l
	}
	if o.ReasonIn != "" && len(o.Consensus) > 0 {
		return usageErrorf("--reason-in and --consensus both set the reasoning language: use one")
	}
	if o.ConsensusSamples < 1 {
		return usageErrorf("--consensus-samples must be 1 or more, not %d", o.ConsensusSamples)
	}
	if o.Parallel < 0 {
		return usageErrorf("--parallel must be 0 or more, not %d", o.Parallel)
	}
	if len(o.ConsensusModels) > 0 {
		if !o.consensusMode() {
			return usageErrorf("--consensus-models needs --consensus or --consensus-samples")
		}
		if n := len(o.chains()); len(o.ConsensusModels) != n {
			return usageErrorf("--consensus-models lists %d models for %d chains", len(o.ConsensusModels), n)
		}
	}
	return nil
}

// consensusMode reports whether the run is a consensus of several chains.
func (o *RunOptions) consensusMode() bool {
	return len(o.Consensus) > 0 || o.ConsensusSamples > 1
}

// chains lists the consensus chains (consensus.Layout).
func (o *RunOptions) chains() []consensus.Chain {
	langs := o.Consensus
	if len(langs) == 0 && o.ReasonIn != "" {
		langs = []string{o.ReasonIn}
	}
	return consensus.Layout(langs, o.ConsensusSamples, o.Seed, o.ConsensusModels)
}

// langWatch returns a watch for --on-language-switch; nil when off.
func (o *RunOptions) langWatch() *consensus.LanguageWatch {
	w, _ := consensus.NewLanguageWatch(o.OnLanguageSwitch) // checked by checkLanguageFlags
	return w
}

// runConsensus runs the chains of --consensus / --consensus-samples, votes,
// prints the winner's answer (and the vote table with --verbose), and logs
// one record: the winner's, with the vote and every chain's record.
func (opts *RunOptions) runConsensus(ctx context.Context, client runner.Backend, req *runner.Request) (*runner.Record, error) {
	ios := opts.IO
	chains := opts.chains()
	base := *req // consensus.Run serialises the hooks the chains share
	watches := make([]*consensus.LanguageWatch, len(chains))
	profiles, err := loadProfiles(opts.Profiles)
	if err != nil {
		return nil, err
	}
	r := &runner.Runner{Backend: client, Now: opts.Now, Profiles: profiles}
	rec, err := consensus.Run(ctx, r, &base, chains, consensus.Options{
		Parallel: opts.Parallel,
		Now:      opts.Now,
		Hooks: func(i int) []hooks.Hook {
			watches[i] = opts.langWatch()
			if watches[i] == nil {
				return nil
			}
			return []hooks.Hook{watches[i].Hook}
		},
		Done: func(i int, rec *runner.Record, _ error) {
			watches[i].Apply(rec)
			if opts.Verbose && !opts.JSON {
				fmt.Fprintf(ios.ErrOut, "rein: chain %d/%d%s done in %s: %s\n", i+1, len(chains), chains[i].Label(),
					time.Duration(rec.Metrics.WallMS*float64(time.Millisecond)).Round(time.Millisecond), term.Shorten(rec.Answer, 60))
			}
		},
	})
	if rec == nil {
		return nil, err
	}
	c := rec.Consensus
	// Each chain's warnings, then the consensus's own (failed chains).
	var warnings []string
	for i, ch := range c.Chains {
		for _, w := range ch.Warnings {
			warnings = append(warnings, fmt.Sprintf("chain %d%s: %s", i+1, chains[i].Label(), w))
		}
	}
	warnings = append(warnings, rec.Warnings[len(c.Chains[c.Winner].Warnings):]...)
	if ferr := finish(ios.ErrOut, opts.runOutput(), rec, warnings, nil); ferr != nil && err == nil {
		err = ferr // the record is lost: a non-zero exit
	}
	if !opts.JSON {
		if rec.Answer != "" {
			fmt.Fprintln(ios.Out, strings.TrimRight(rec.Answer, "\n"))
		}
		if opts.Verbose {
			term.PrintVotes(ios.ErrOut, chains, rec)
		}
	}
	return rec, runError(ctx, err, rec.Model)
}
