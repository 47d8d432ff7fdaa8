package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/consensus"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/runner"
)

func init() { register(NewCmdRun) }

// RunOptions are the flags of `rein run`.
type RunOptions struct {
	IO     *IOStreams
	Client func() (*api.Client, error)
	Now    func() time.Time

	Model  string
	Prompt string
	// PromptSet is true when the prompt came from the command line or stdin.
	PromptSet bool

	Think       string
	System      string
	Temperature float64
	Seed        int
	NumCtx      int
	Options     []string

	// Budgets are the budget flags (budget.Names); those not given stay
	// unset, for the profile's budgets and the defaults to fill.
	Budgets budget.Budgets

	HideThinking bool
	Verbose      bool
	JSON         bool
	Log          string
	NoLog        bool
	Hooks        []string
	Backend      BackendOptions // --backend and its flags (backend.go)
	// Trace is a file that gets every event as a JSON line, in the form
	// external hooks read them; "-" is stderr.
	Trace string

	// OnLanguageSwitch is what a change of language in the thinking does:
	// warn (the default, also for ""), cut or off.
	OnLanguageSwitch string
	// ReasonIn makes the model reason in this language (ISO 639-1).
	ReasonIn string
	// Consensus lists the reasoning languages of a consensus run, one
	// chain each; ConsensusSamples runs that many chains per language (or,
	// alone, in one language). ConsensusModels gives each chain a model of
	// its own. Parallel bounds the chains running at once (0: all).
	Consensus        []string
	ConsensusSamples int
	ConsensusModels  []string
	Parallel         int

	// ExtraHooks run after the external hooks (library callers and tests).
	ExtraHooks []hooks.Hook

	// Profiles returns the profiles (Factory.Profiles; nil: the user's).
	Profiles func() ([]models.Profile, string, error)
	runF     func(*RunOptions) error

	// changed holds the flags set on the command line.
	changed map[string]bool
}

// NewCmdRun is `rein run` (and its chat, with no prompt).
func NewCmdRun(f *Factory, runF func(*RunOptions) error) *cobra.Command {
	return newRunCmdWith(&RunOptions{IO: f.IOStreams, Client: f.Client, Now: f.Now, Profiles: f.Profiles, runF: runF})
}

func newRunCmdWith(opts *RunOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run MODEL [PROMPT]",
		Short: "Run a reasoning model with budgets, timings and a run log",
		Long: `Run a reasoning model on a prompt. The thinking streams dimmed to stderr
and the answer to stdout. Budgets limit the thinking by tokens, steps, wall
time or repetition; at the limit rein closes the thinking with a short
message and lets the model answer (--on-limit answer), or stops there
(--on-limit stop).

The prompt comes from the argument, or from stdin when it is absent or "-".
With no prompt and a terminal on stdin, rein opens an interactive chat, as
ollama run does: /set changes the budgets between turns (/set max-steps 8,
/set think off), /show shows them and where they come from, /? lists the
commands, """ begins a multi-line message, Ctrl-C stops a turn and keeps the
conversation, Ctrl-D or /bye leaves.

Where colour is off (NO_COLOR, or stderr is not a terminal) the thinking is
framed by "Thinking..." and "...done thinking.", as ollama run frames it. A
cut gets one line on stderr, --verbose or not: "rein: cut after 3 steps
(max-steps); answering".

--verbose prints Ollama's figures with Ollama's meanings over the whole run
(total duration from the request to the last token, load and prompt
evaluation included; eval count: every token the server generated), then
rein's: thinking and answer, the cut, the resume's cost, and the wasted
tokens: those the model generated after the cut point and rein threw away
(still streaming when a budget or hook decided to cut, or the closing tag
and what followed it when --min-steps reopened the thinking). They count in
the eval count, not in the thinking or the answer.`,
		Example: `  rein run qwen3:0.6b "What is 17*3?" --max-steps 8
  rein run magistral:24b --max-think-tokens 2000 --verbose < question.txt
  rein run qwen3:4b "Solve x^2=2" --json --hook 'python3 my_hook.py'
  rein run qwen3:4b "Combien font 17 fois 3 ?" --reason-in en
  rein run qwen3:4b "Сколько будет 17*3?" --consensus en,zh,fr --verbose`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Model = args[0]
			opts.changed = map[string]bool{}
			cmd.Flags().Visit(func(f *pflag.Flag) { opts.changed[f.Name] = true })
			if len(args) == 2 && args[1] != "-" {
				opts.Prompt, opts.PromptSet = args[1], true
			} else if len(args) == 2 || !opts.IO.InIsTerminal {
				b, err := io.ReadAll(opts.IO.In)
				if err != nil {
					return fmt.Errorf("read prompt: %w", err)
				}
				opts.Prompt, opts.PromptSet = strings.TrimRight(string(b), "\n"), true
				if strings.TrimSpace(opts.Prompt) == "" {
					return usageErrorf("empty prompt on stdin")
				}
			}
			return runOr(opts.runF, opts, func() error { return runRun(cmd.Context(), opts) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Think, "think", "true", "think: true, false, or a level (low, medium, high) for models that take levels")
	f.StringVar(&opts.System, "system", "", "system prompt (default: the profile's, else the model's)")
	f.Float64Var(&opts.Temperature, "temperature", 0, "sampling temperature (default: the profile's)")
	f.IntVar(&opts.Seed, "seed", 0, "sampling seed")
	f.IntVar(&opts.NumCtx, "num-ctx", 0, "pin the context size (default: the loaded model's when it holds the run, else the smallest of 4096, 8192, 16384… that holds prompt and budgets)")
	f.StringArrayVar(&opts.Options, "option", nil, "any Ollama option as key=value (repeatable)")
	budget.AddFlags(f, &opts.Budgets)
	f.BoolVar(&opts.HideThinking, "hide-thinking", false, "do not show the thinking")
	f.BoolVar(&opts.Verbose, "verbose", false, "print timings and figures after the run")
	f.BoolVar(&opts.JSON, "json", false, "print the run record as one JSON object on stdout")
	f.StringVar(&opts.Log, "log", "", "append the run record to this JSONL file (default $REIN_LOG or $XDG_STATE_HOME/rein/runs.jsonl)")
	f.BoolVar(&opts.NoLog, "no-log", false, "do not log the run")
	f.StringVar(&opts.Trace, "trace", "", "append every event (token, step, cut, …) to this file as JSON lines, as external hooks read them (-: stderr)")
	f.StringArrayVar(&opts.Hooks, "hook", nil, "external hook program with arguments, split into words without a shell (repeatable)")
	opts.Backend.addFlags(f)
	f.StringVar(&opts.OnLanguageSwitch, "on-language-switch", "warn", "when the thinking changes language: warn (one line on stderr), cut (cut the thinking, reason hook) or off")
	f.StringVar(&opts.ReasonIn, "reason-in", "", "make the model reason in this language (en, fr, es, ru, zh, …: a thinking prefix) and answer in the prompt's")
	f.StringSliceVar(&opts.Consensus, "consensus", nil, "run one chain per reasoning language (e.g. en,zh,fr), in parallel, and print the answer most chains agree on")
	f.IntVar(&opts.ConsensusSamples, "consensus-samples", 1, "chains per language; alone, N samples in one language (the prompt's, or --reason-in's) with seeds seed+i")
	f.StringSliceVar(&opts.ConsensusModels, "consensus-models", nil, "one model per consensus chain, in chain order, instead of MODEL (ensembles; tests)")
	f.IntVar(&opts.Parallel, "parallel", 0, "consensus chains running at once (0: all; the server queues beyond OLLAMA_NUM_PARALLEL)")
	return cmd
}

// request builds the runner request from the flags.
func (o *RunOptions) request() (*runner.Request, error) {
	if o.NumCtx < 0 {
		return nil, usageErrorf("--num-ctx must be 0 or more, not %d", o.NumCtx)
	}
	b := o.Budgets
	if m := b.BudgetMessage; m != nil {
		b.BudgetMessage = budget.Ptr(unescapeNewlines(*m))
	}
	if err := b.Validate(nil); err != nil {
		return nil, usageError{err}
	}
	think, level, err := parseThink(o.Think)
	if err != nil {
		return nil, usageError{err}
	}
	options, err := parseOptions(o.Options)
	if err != nil {
		return nil, err
	}
	req := &runner.Request{
		Model: o.Model, Prompt: o.Prompt, System: o.System,
		ThinkLevel: level, Options: options, NumCtx: o.NumCtx,
		Budgets: b, ProbeKey: consensus.Normalise,
	}
	if o.changed["think"] {
		req.Think = &think
	}
	if o.changed["temperature"] {
		t := o.Temperature
		req.Temperature = &t
	}
	if o.changed["seed"] {
		s := o.Seed
		req.Seed = &s
	}
	if err := req.Validate(); err != nil && req.Prompt != "" {
		return nil, usageError{err}
	}
	if err := o.checkLanguageFlags(); err != nil {
		return nil, err
	}
	return req, nil
}

func runRun(ctx context.Context, opts *RunOptions) error {
	req, err := opts.request()
	if err != nil {
		return err
	}
	client, err := opts.Backend.connect(opts.Client)
	if err != nil {
		return err
	}
	userHooks, closeHooks, err := opts.startHooks(ctx)
	if err != nil {
		return err
	}
	defer closeHooks()
	req.Hooks = append(userHooks, opts.ExtraHooks...)
	if opts.Trace != "" {
		w := opts.IO.ErrOut
		if opts.Trace != "-" {
			f, err := os.OpenFile(opts.Trace, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
			if err != nil {
				return fmt.Errorf("trace: %w", err)
			}
			defer f.Close()
			w = f
		}
		req.Hooks = append([]hooks.Hook{hooks.NewEventLog(w)}, req.Hooks...)
	}
	if opts.consensusMode() {
		if !opts.PromptSet {
			return usageErrorf("--consensus and --consensus-samples need a prompt")
		}
		_, err = opts.runConsensus(ctx, client, req)
		return err
	}
	if !opts.PromptSet {
		return chatLoop(ctx, opts, client, req)
	}
	_, err = opts.runOnce(ctx, client, req)
	return err
}

// runOnce runs one request, shows it, and logs it.
func (opts *RunOptions) runOnce(ctx context.Context, client runner.Backend, req *runner.Request) (*runner.Record, error) {
	ios := opts.IO
	disp := term.NewDisplay(ios, opts.HideThinking, opts.JSON)
	profiles, err := loadProfiles(opts.Profiles)
	if err != nil {
		return nil, err
	}
	var told []string // warnings shown before the run
	r := &runner.Runner{Backend: client, Now: opts.Now, OnToken: disp.Token, Profiles: profiles,
		Context: contextConfig(func(msg string) {
			told = append(told, msg)
			disp.Line("rein: warning: " + msg) // the spinner may be on
		})}
	q := *req
	if opts.ReasonIn != "" {
		q = *consensus.ChainRequest(&q, opts.ReasonIn, hooks.DetectLanguage(q.Prompt))
	}
	watch := opts.langWatch()
	if watch != nil {
		q.Hooks = append(slices.Clone(q.Hooks), watch.Hook)
	}
	// A cut gets one line on stderr, --verbose or not.
	q.Hooks = append(slices.Clone(q.Hooks), disp.Watch(&q))
	disp.Start()
	rec, err := r.Run(ctx, &q)
	watch.Apply(rec)
	disp.End()
	disp.Announce(rec)
	if ferr := finish(ios.ErrOut, opts.runOutput(), rec, rec.Warnings, told); ferr != nil && err == nil {
		err = ferr // the record is lost: a non-zero exit
	}
	if opts.Verbose {
		term.PrintFigures(ios.ErrOut, rec) // stderr, so --json keeps stdout to itself
	}
	return rec, runError(ctx, err, req.Model)
}

// runError turns a run's error into the command's.
func runError(ctx context.Context, err error, model string) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return errInterrupted
	}
	var se api.StatusError
	if errors.As(err, &se) && se.StatusCode == 404 {
		return modelNotFoundError{Name: model}
	}
	return fmt.Errorf("run %s: %w", model, err)
}

// startHooks starts the external hooks named on the command line
// (hooks.StartExecs); a hook dropped later is one warning line.
func (opts *RunOptions) startHooks(ctx context.Context) ([]hooks.Hook, func(), error) {
	var mu sync.Mutex
	hs, closeAll, err := hooks.StartExecs(ctx, opts.Hooks, opts.IO.ErrOut, func(err error) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(opts.IO.ErrOut, "rein: warning: hook dropped: %v\n", err)
	})
	if errors.Is(err, hooks.ErrBadCommand) {
		return nil, nil, usageError{err}
	}
	return hs, closeAll, err
}
