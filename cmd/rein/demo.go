package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/rein-dev/rein/internal/localserver"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/models/scripted"
	"github.com/spf13/cobra"
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
			return runOr(runF, opts, func() error { return demoRun(cmd.Context(), opts) })
		},
	}
	cmd.Flags().IntVar(&opts.MaxSteps, "max-steps", 3, "step budget for the runaway model")
	return cmd
}

// connect returns a client for the server at OLLAMA_HOST, or starts a
// private one when none answers. stop is never nil.
func connect(ctx context.Context, ios *IOStreams) (c *api.Client, stop func(), err error) {
	c, err = models.ClientFromEnvironment()
	if err != nil {
		return nil, nil, err
	}
	vctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, verr := c.Version(vctx)
	cancel()
	if verr == nil {
		return c, func() {}, nil
	}
	fmt.Fprintln(ios.ErrOut, dim(ios, "no Ollama server answers at OLLAMA_HOST; starting a private one on loopback"))
	s, err := localserver.Start(ctx, localserver.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("start ollama: %w", err)
	}
	startedServerEnv()
	os.Setenv("OLLAMA_HOST", s.Host)
	fmt.Fprintln(ios.ErrOut, dim(ios, "ollama serve on "+s.Host+" (models in "+s.Dir+")"))
	return s.Client, s.Stop, nil
}

func createDemoModels(ctx context.Context, ios *IOStreams, c *api.Client) error {
	for _, d := range scripted.DemoModels() {
		m, err := scripted.Build(d.Spec)
		if err != nil {
			return fmt.Errorf("demo model %s: %w", d.Name, err)
		}
		if err := scripted.Create(ctx, c, d.Name, m, ""); err != nil {
			return err
		}
		fmt.Fprintln(ios.ErrOut, dim(ios, "created "+d.Name))
	}
	return nil
}

// dim renders diagnostics faint where colour is on.
func dim(ios *IOStreams, s string) string { return term.Dim(ios, s) }
