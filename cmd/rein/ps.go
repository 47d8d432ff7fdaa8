package main

import (
	"context"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/models"
	"github.com/spf13/cobra"
)

func init() { register(NewCmdPs) }

// PsOptions are the flags of `rein ps`.
type PsOptions struct {
	IO     *IOStreams
	Client func() (*api.Client, error)
	JSON   bool
	// Now is the clock the UNTIL column counts from; nil means time.Now.
	Now func() time.Time
}

// NewCmdPs is `rein ps`.
func NewCmdPs(f *Factory, runF func(*PsOptions) error) *cobra.Command {
	opts := &PsOptions{IO: f.IOStreams, Client: f.Client, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "ps",
		Short: "List the models Ollama has loaded, and where they sit (GPU/CPU)",
		Long: `List the models the Ollama server has in memory: their size, the part in
GPU memory, the GPU/CPU split as ollama ps prints it, the context length they
were loaded with, and when they unload.

--json writes an array of objects with the keys name, size, size_vram,
processor, gpu_percent, cpu_percent, context_length and expires_at.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOr(runF, opts, func() error { return psRun(cmd.Context(), opts) })
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "write a JSON array")
	return cmd
}

func psRun(ctx context.Context, opts *PsOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	loaded, err := models.Running(ctx, c)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.IO.Out, loaded)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	return term.WritePs(opts.IO.Out, loaded, now())
}
