package main

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/spf13/cobra"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/proxy"
	"github.com/rein-dev/rein/runlog"
	"github.com/rein-dev/rein/runner"
)

func init() { register(NewCmdProxy) }

// DefaultProxyListen is where `rein proxy` listens by default.
const DefaultProxyListen = proxy.DefaultListen

// ProxyOptions are the flags of `rein proxy`.
type ProxyOptions struct {
	IO *IOStreams

	Listen      string
	Upstream    string
	AllowRemote bool
	Backend     BackendOptions // --backend and its flags (backend.go)

	// Budgets are the budget flags (budget.Names): the budgets of every
	// intercepted request, under its own rein_* options.
	Budgets budget.Budgets

	Log     string
	NoLog   bool
	Verbose bool

	// Profiles returns the profiles (Factory.Profiles; nil: the user's).
	Profiles func() ([]models.Profile, string, error)
	runF     func(*ProxyOptions) error

	// Ready, when set, is called with the address the proxy listens on once
	// it accepts connections (tests listen on port 0).
	Ready func(addr net.Addr)
}

// NewCmdProxy is `rein proxy`.
func NewCmdProxy(f *Factory, runF func(*ProxyOptions) error) *cobra.Command {
	return newProxyCmdWith(&ProxyOptions{IO: f.IOStreams, Profiles: f.Profiles, runF: runF})
}

func newProxyCmdWith(opts *ProxyOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Serve Ollama's API with reasoning budgets, for any Ollama client",
		Long: `Serve Ollama's API in front of an Ollama server, with rein's reasoning
budgets. Point any Ollama or OpenAI-compatible client at it (OLLAMA_HOST, or
a base URL of http://LISTEN/v1) and its thinking is held to the budgets: cut
at the limit, then closed with the budget message for a final answer.

/api/chat, /api/generate and /v1/chat/completions are intercepted; the
answer comes in the endpoint's own format, with a "rein" field in the final
chunk (cut_reason, steps, resume_eval_tokens, run_id). Every other path
(pull, tags, show, ps, version, embeddings, …) passes through untouched, and
so do requests the budgets cannot apply to (think:false, raw generation,
logprobs).

A request sets its own budgets in its options, which never go upstream:
rein_max_steps, rein_max_think_tokens, rein_max_think_time ("30s" or
milliseconds), rein_max_answer_tokens, rein_loop, rein_min_steps,
rein_on_limit, rein_step_split, rein_budget_message. An unknown rein_*
option is an error (HTTP 400). num_predict caps the whole generation.

The proxy listens on loopback unless --allow-remote is given, accepts only
local Host names there (as Ollama does), limits request bodies to 32 MiB,
never follows redirects and sends requests to the upstream only. Runs are
logged to --log FILE, or to $REIN_LOG when it is set; by default the proxy
keeps no log.

Budgets can also be set per model, in the profile file (rein profiles): a
profile's budgets fill those that neither the flags nor the request set.`,
		Example: `  rein proxy --max-steps 8
  OLLAMA_HOST=127.0.0.1:11435 ollama run qwen3:4b "Why is the sky blue?"
  rein proxy --listen 127.0.0.1:11435 --upstream 127.0.0.1:11434 --max-think-time 30s --log proxy.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOr(opts.runF, opts, func() error { return proxyRun(cmd.Context(), opts) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Listen, "listen", DefaultProxyListen, "address to listen on (loopback unless --allow-remote)")
	f.StringVar(&opts.Upstream, "upstream", "", "the Ollama server (default $OLLAMA_HOST, else 127.0.0.1:11434)")
	f.BoolVar(&opts.AllowRemote, "allow-remote", false, "allow a non-loopback --listen address: anyone who reaches it can use your models")
	budget.AddFlags(f, &opts.Budgets)
	f.StringVar(&opts.Log, "log", "", "append each run's record to this JSONL file (default: $REIN_LOG if set, else no log)")
	f.BoolVar(&opts.NoLog, "no-log", false, "keep no run log, even with $REIN_LOG set")
	f.BoolVar(&opts.Verbose, "verbose", false, "print one line per intercepted run on stderr")
	opts.Backend.addFlags(f)
	return cmd
}

// budgets turns the flags into the proxy's default budgets.
func (o *ProxyOptions) budgets() (proxy.Budgets, error) {
	b := o.Budgets
	if m := b.BudgetMessage; m != nil {
		b.BudgetMessage = budget.Ptr(unescapeNewlines(*m))
	}
	if err := b.Validate(nil); err != nil {
		return proxy.Budgets{}, usageError{err}
	}
	return b, nil
}

// proxyLogPath is where runs are logged: --log, else $REIN_LOG, else
// nowhere.
func (o *ProxyOptions) logPath() string {
	if o.NoLog {
		return ""
	}
	return cmp.Or(o.Log, os.Getenv("REIN_LOG"))
}

func proxyRun(ctx context.Context, opts *ProxyOptions) error {
	ios := opts.IO
	if err := proxy.CheckListen(ctx, opts.Listen, opts.AllowRemote); err != nil {
		return usageError{err}
	}
	b, err := opts.budgets()
	if err != nil {
		return err
	}
	up, err := proxy.ParseUpstream(opts.Upstream)
	if err != nil {
		return usageError{err}
	}
	up, runs, err := opts.Backend.proxyUpstream(up, opts.Upstream)
	if err != nil {
		return err
	}

	var mu sync.Mutex // serialises stderr lines from concurrent runs
	errf := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(ios.ErrOut, format+"\n", a...)
	}
	logPath := opts.logPath()
	if logPath != "" {
		if _, err := os.Stat(filepath.Dir(logPath)); err != nil {
			return usageErrorf("--log %s: folder %s does not exist: create it or choose another --log", logPath, filepath.Dir(logPath))
		}
	}
	var logFailed bool
	profiles, err := loadProfiles(opts.Profiles)
	if err != nil {
		return err
	}
	cfg := proxy.Config{
		Upstream:     up,
		Backend:      runs,
		Budgets:      b,
		Profiles:     profiles,
		SuspectsFile: suspectsPath(),
		Logf:         errf,
		OnRecord: func(rec *runner.Record) {
			if opts.Verbose {
				errf("rein proxy: %s", term.RunLine(rec))
			}
			var out runlog.Output
			if logPath != "" {
				out.Log = runlog.File{Path: logPath}
			}
			show, err := runlog.Finish(out, rec, nil, nil)
			for _, w := range show {
				errf("rein: warning: %s", w)
			}
			if err != nil {
				mu.Lock()
				first := !logFailed
				logFailed = true
				mu.Unlock()
				if first {
					errf("rein: warning: %v", err) // the proxy goes on: one warning
				}
			}
		},
	}

	l, loopback, err := proxy.Listen(opts.Listen, up, opts.AllowRemote)
	if proxy.IsUsage(err) {
		return usageError{err}
	} else if err != nil {
		return err
	}
	addr := l.Addr()
	cfg.AnyHost = !loopback
	if !loopback {
		errf("rein: warning: listening on %s, beyond this machine: anyone who can reach it can use the models at %s, with no authentication", addr, up.Redacted())
	}
	errf("rein proxy: listening on http://%s, forwarding to %s", addr, up.Redacted())
	if logPath != "" {
		errf("rein proxy: logging runs to %s", logPath)
	}

	served := make(chan error, 1)
	go func() { served <- proxy.Serve(ctx, l, cfg) }()
	if opts.Ready != nil {
		opts.Ready(addr)
	}
	return <-served
}
