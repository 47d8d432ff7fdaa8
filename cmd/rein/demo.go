package main

import (
	"context"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/spf13/cobra"

	"github.com/rein-dev/rein/internal/demo"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/runner"
)

// DemoOptions are the flags of `rein dev demo`.
type DemoOptions struct {
	IO       *IOStreams
	MaxSteps int
}

// NewCmdDemo is `rein dev demo`.
func NewCmdDemo(f *Factory, runF func(*DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run rein on the built-in runaway-thinking model (what `make demo` runs)",
		Long: `Create the built-in scripted demo models and run rein on the runaway one:
its thinking loops forever, and the step budget cuts it and still gets an
answer. Then the learned tiny reasoner (models/tiny) counts a list with no
budget (and overthinks), with --max-steps 4 (and answers wrong), and follows
a chain that loops until the loop detector cuts it. Uses the Ollama server at OLLAMA_HOST when one answers; otherwise it
starts a private server on loopback from REIN_OLLAMA_BIN or the binary that
scripts/build-ollama.sh cached, and stops it afterwards.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOr(runF, opts, func() error {
				return demo.Run(cmd.Context(), demo.Options{IO: opts.IO, MaxSteps: opts.MaxSteps, RunOnce: func(ctx context.Context, c runner.Backend, req *runner.Request, verbose bool) (*runner.Record, error) {
					return (&RunOptions{IO: opts.IO, Now: time.Now, Verbose: verbose, NoLog: true}).runOnce(ctx, c, req)
				}})
			})
		},
	}
	cmd.Flags().IntVar(&opts.MaxSteps, "max-steps", 3, "step budget for the runaway model")
	return cmd
}

// connect returns a client for the server at OLLAMA_HOST, or starts a
// private one when none answers (demo.Connect). stop is never nil.
func connect(ctx context.Context, ios *IOStreams) (*api.Client, func(), error) {
	c, stop, started, err := demo.Connect(ctx, ios)
	if started {
		startedServerEnv()
	}
	return c, stop, err
}

// dim renders diagnostics faint where colour is on.
func dim(ios *IOStreams, s string) string { return term.Dim(ios, s) }
