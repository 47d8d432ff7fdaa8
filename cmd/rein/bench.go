package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rein-dev/rein/bench"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/runner"
)

func init() { register(NewCmdBench) }

// defaultResults is the results file when -o is not given.
const defaultResults = "results.jsonl"

// BenchOptions are the flags of `rein bench`.
type BenchOptions struct {
	IO  *IOStreams
	Now func() time.Time

	Models    []string
	Suite     string
	Budgets   string
	Repeats   int
	Seed      int
	Out       string
	Parallel  int
	Hosts     []string
	Backend   BackendOptions // --backend and its flags (backend.go)
	MaxTokens int
	NumCtx    int
	KeepAlive time.Duration
	NoWarmup  bool
	JSON      bool
	// ReasonIn and Consensus lay out the reasoning axis: languages to
	// reason in ("native": the model's own choice), and consensus language
	// sets ("en+zh+fr").
	ReasonIn  []string
	Consensus []string

	// OnProgress, when set, is called after the progress display with
	// bench.Options.Progress's arguments (tests use it to interrupt a
	// bench halfway).
	OnProgress func(done, total, skipped int)

	// Profiles returns the profiles (Factory.Profiles; nil: the user's).
	Profiles func() ([]models.Profile, string, error)
	runF     func(*BenchOptions) error

	changed map[string]bool
}

// NewCmdBench is `rein bench`.
func NewCmdBench(f *Factory, runF func(*BenchOptions) error) *cobra.Command {
	return newBenchCmdWith(&BenchOptions{IO: f.IOStreams, Now: f.Now, Profiles: f.Profiles, runF: runF})
}

func newBenchCmdWith(opts *BenchOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench --suite FILE|seed|demo|tiny --models A,B [flags]",
		Short: "Run a suite over models × budgets × repeats and record every run",
		Long: `Run every case of a suite on every model, under every budget, a number of
times, and append one record per run to a results JSONL file (-o, default
` + defaultResults + ` in the current directory). A record is the record
` + "`rein run --json`" + ` prints plus case, variant, budget, repeat, seed, check
({pass, detail}, or null when the case has no check), host, and
reasoning on the reasoning axis (--reason-in, --consensus). Turn results
into tables and plots with ` + "`rein report`" + `.

The suite is a YAML file, or a built-in one: seed (questions that expose
weak reasoning models), demo (cases for the scripted demo models; with no
--models it runs on them and creates them where they are missing, and with
no --host and no server at OLLAMA_HOST it starts a private one) or tiny
(200 problems for the learned tiny reasoner, models/tiny, in English and
French; with no --models it runs on rein-tiny/reasoner, as demo does).

Budgets are comma-separated: steps=N, think-tokens=N, think-time=DURATION,
loop=K (0: off) and none, combined with + (steps=8+think-tokens=2000). A bare
number takes the key before it (steps=2,4,8 is three budgets). Every budget,
none included, keeps the default loop cut (loop=3) unless it names loop=K,
and the hard --max-tokens cap, so no run goes on forever.

The bench is resumable: runs already in the results file (same model, case,
variant, budget, repeat and seed) are skipped, so after Ctrl-C (exit 130,
finished runs are kept) the same command goes on where it stopped. Runs that
ended in an error or were interrupted are done again.

A warm-up run per model and host comes first and is not recorded; keep_alive
keeps the model loaded, and num_ctx is fixed per model for the whole bench,
so no run reloads it. Progress and an ETA go to stderr; stdout gets one
summary line at the end (or a JSON object with --json). The exit code is 1
when some runs ended in an error (they are retried by the next bench), 0
otherwise, whatever the checks say.`,
		Example: `  rein bench --suite demo --budgets steps=2,none,think-tokens=20
  rein bench --models qwen3:0.6b,qwen3:4b --suite seed --budgets steps=2,4,8,16,none --repeats 3 -o runs.jsonl
  rein bench --models qwen3:4b --suite my.yaml --host gpu1:11434 --host gpu2:11434 --parallel 2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.changed = map[string]bool{}
			cmd.Flags().Visit(func(f *pflag.Flag) { opts.changed[f.Name] = true })
			return runOr(opts.runF, opts, func() error { return benchRun(cmd.Context(), opts) })
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&opts.Models, "models", nil, "models to run, comma-separated or repeated (default with --suite demo: the demo models; with tiny: rein-tiny/reasoner)")
	f.StringVar(&opts.Suite, "suite", "", "suite: a YAML file, or the built-in seed, demo or tiny (required)")
	f.StringVar(&opts.Budgets, "budgets", bench.KeyNone, "budgets, comma-separated: steps=N, think-tokens=N, think-time=D, loop=K, none; + combines")
	f.IntVar(&opts.Repeats, "repeats", 1, "runs of each model × case × budget; repeat r samples with seed --seed+r")
	f.IntVar(&opts.Seed, "seed", 0, "sampling seed of the first repeat")
	f.StringVarP(&opts.Out, "output", "o", defaultResults, "results JSONL file; records are appended and runs already in it skipped")
	f.IntVar(&opts.Parallel, "parallel", 1, "runs at once on each host (for servers started with OLLAMA_NUM_PARALLEL)")
	f.StringSliceVar(&opts.Hosts, "host", nil, "Ollama server to spread the runs over, as OLLAMA_HOST takes it, or openai+http://HOST:PORT for an OpenAI-compatible one (repeatable; default $OLLAMA_HOST)")
	opts.Backend.addFlags(f)
	f.IntVar(&opts.MaxTokens, "max-tokens", runner.DefaultMaxTokens, "hard cap on all generated tokens of a run, under every budget")
	f.IntVar(&opts.NumCtx, "num-ctx", 0, "context size (default: one per model, prompt + --max-tokens + a margin, within the training context)")
	f.DurationVar(&opts.KeepAlive, "keep-alive", 30*time.Minute, "how long the server keeps a model loaded after a run (negative: for ever)")
	f.BoolVar(&opts.NoWarmup, "no-warmup", false, "skip the unrecorded warm-up run of each model")
	f.BoolVar(&opts.JSON, "json", false, "print the summary as one JSON object on stdout")
	f.StringSliceVar(&opts.ReasonIn, "reason-in", nil, "reasoning axis: languages the model reasons in, comma-separated (native: its own choice), as rein run --reason-in")
	f.StringSliceVar(&opts.Consensus, "consensus", nil, "reasoning axis: consensus language sets joined by + and separated by commas (en+zh+fr,en+ru); a list with no + is one set (en,zh,fr), as rein run --consensus takes it")
	return cmd
}

func (o *BenchOptions) validate() error {
	for _, b := range []struct {
		name   string
		v, min int
	}{
		{"--repeats", o.Repeats, 1}, {"--parallel", o.Parallel, 1}, {"--max-tokens", o.MaxTokens, 1}, {"--num-ctx", o.NumCtx, 0},
	} {
		if b.v < b.min {
			return usageErrorf("%s must be %d or more, not %d", b.name, b.min, b.v)
		}
	}
	if o.Suite == "" {
		return usageErrorf("bench: --suite is required (a YAML file, seed or demo)")
	}
	if o.Out == "" {
		return usageErrorf("bench: -o must name a results file")
	}
	return nil
}

func benchRun(ctx context.Context, opts *BenchOptions) error {
	if err := opts.validate(); err != nil {
		return err
	}
	budgets, err := bench.ParseBudgets(opts.Budgets)
	if err != nil {
		return usageErrorf("--budgets: %v", err)
	}
	suite, err := bench.OpenSuiteContext(ctx, opts.Suite)
	if ctx.Err() != nil {
		return errInterrupted
	} else if err != nil {
		return err
	}
	isDemo := suite.File == "builtin:demo" || tinySuite(suite)
	models, err := bench.Models(suiteModels(opts.Models, suite), isDemo)
	if err != nil {
		return usageError{err}
	}
	reasonings, err := bench.ReasoningAxis(opts.ReasonIn, opts.Consensus)
	if err != nil {
		return usageError{err}
	}
	jobs := bench.JobsWith(models, suite, budgets, reasonings, opts.Repeats, opts.Seed)
	if len(jobs) == 0 {
		return usageErrorf("bench: no case of suite %s runs on %s", suite.Name, strings.Join(models, ", "))
	}

	if err := checkResultsFile(opts.Out); err != nil {
		return err
	}
	hosts, stop, err := opts.connectHosts(ctx, isDemo && !opts.changed["host"])
	if err != nil {
		return err
	}
	defer stop()
	ios := opts.IO
	numCtx := map[string]int{}
	for _, m := range models {
		// The smallest training context over the hosts, so that every host
		// runs the model with the same num_ctx.
		train := 0
		for _, h := range hosts {
			n, err := prepareModel(ctx, ios, h, m)
			if err != nil {
				return err
			}
			if n > 0 && (train == 0 || n < train) {
				train = n
			}
		}
		numCtx[m] = cmp.Or(opts.NumCtx, bench.ContextSize(jobs, m, opts.MaxTokens, train))
	}

	keepAlive := &api.Duration{Duration: opts.KeepAlive}
	profiles, err := loadProfiles(opts.Profiles)
	if err != nil {
		return err
	}
	var runners []bench.Runner
	for _, h := range hosts {
		runners = append(runners, &bench.HostRunner{Backend: h.runnerBackend(), Host: h.label(), MaxTokens: opts.MaxTokens,
			NumCtx: numCtx, KeepAlive: keepAlive, Now: opts.Now, Profiles: profiles})
	}

	hostWord := "host"
	if len(hosts) > 1 {
		hostWord = "hosts"
	}
	axis := ""
	if len(reasonings) > 0 {
		axis = " × " + plural(len(reasonings), "reasoning")
	}
	fmt.Fprintf(ios.ErrOut, "bench: %d runs of suite %s: %s × %d budgets%s × %d repeats on %d %s, results in %s\n",
		len(jobs), suite.Name, plural(len(models), "model"), len(budgets), axis, opts.Repeats, len(hosts), hostWord, opts.Out)
	view := term.NewBenchProgress(ios, opts.Out, opts.Now)
	runners = withQueueWarning(runners, view, opts.Parallel) // bench_queue.go
	sum, runErr := bench.Run(ctx, runners[0], jobs, bench.Options{
		Out: opts.Out, Parallel: opts.Parallel, Runners: runners[1:], Warmup: !opts.NoWarmup,
		Progress: func(done, total, skipped int) {
			view.Update(done, total, skipped)
			if opts.OnProgress != nil {
				opts.OnProgress(done, total, skipped)
			}
		},
	})
	view.Stop()
	for _, w := range sum.Warnings {
		fmt.Fprintln(ios.ErrOut, "rein: warning: "+w)
	}

	if opts.JSON {
		enc := json.NewEncoder(ios.Out)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(sum.Record(opts.Out)); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(ios.Out, sum.Line(opts.Out))
	}

	finished := sum.Ran - sum.Interrupted - sum.Errors
	var down *bench.ServerDownError
	switch {
	case errors.As(runErr, &down):
		return fmt.Errorf("bench stopped: %v; %s kept in %s, %s left: start the server and run the same command again",
			down, plural(finished, "finished run"), opts.Out, plural(sum.Total-sum.Skipped-finished, "run"))
	case runErr != nil && ctx.Err() != nil && errors.Is(runErr, ctx.Err()):
		fmt.Fprintf(ios.ErrOut, "interrupted: %s kept in %s; run the same command again to go on\n",
			plural(finished, "finished run"), opts.Out)
		return errInterrupted
	case runErr != nil:
		return runErr
	case sum.Errors > 0:
		return fmt.Errorf("%d of %s ended in an error (see \"error\" in %s); run the same command again to retry them",
			sum.Errors, plural(sum.Ran, "run"), opts.Out)
	}
	return nil
}

// checkResultsFile says at once, before any server is asked, when the
// results file's folder is missing or another bench holds the file; it
// changes nothing, and bench.Run takes the file's lock for the bench's
// length.
func checkResultsFile(path string) error {
	err := hooks.CheckJSONLFree(path)
	switch {
	case errors.Is(err, hooks.ErrLocked):
		return fmt.Errorf("results file %s is in use by another rein bench: wait for it to end, or choose another -o", path)
	case errors.Is(err, hooks.ErrNoFolder):
		return usageErrorf("-o %s: folder %s does not exist: create it or choose another -o", path, filepath.Dir(path))
	case err != nil:
		return fmt.Errorf("results file: %w", err)
	}
	return nil
}

// plural is term.Plural.
func plural(n int, word string) string { return term.Plural(n, word) }
