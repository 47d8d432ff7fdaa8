package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/ollama/ollama/api"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/models"
	"github.com/spf13/cobra"
)

func init() { register(NewCmdPull) }

// PullOptions are the flags of `rein pull`.
type PullOptions struct {
	IO       *IOStreams
	Client   func() (*api.Client, error)
	Models   []string
	JSON     bool
	Insecure bool
	Quiet    bool
}

// NewCmdPull is `rein pull`.
func NewCmdPull(f *Factory, runF func(*PullOptions) error) *cobra.Command {
	opts := &PullOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "pull MODEL...",
		Short: "Pull models from a registry into Ollama, with progress",
		Long: `Pull models through the Ollama server at OLLAMA_HOST.

On a terminal, each layer gets a progress bar (digest, bytes, rate, ETA) and
each step a spinner; otherwise progress is plain lines. --json writes
Ollama's progress messages as JSON lines on stdout instead. Ctrl-C stops a
pull; run the same command again and it resumes where it stopped.`,
		Example: `  rein pull qwen3:0.6b magistral:24b
  rein pull --insecure 127.0.0.1:5000/library/my-model:latest
  rein pull --json deepseek-r1:8b | jq -c 'select(.digest)'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Models = args
			return runOr(runF, opts, func() error { return pullRun(cmd.Context(), opts) })
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.JSON, "json", false, "write the progress messages as JSON lines on stdout")
	fl.BoolVar(&opts.Insecure, "insecure", false, "allow a registry that speaks plain HTTP")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing but errors")
	return cmd
}

func pullRun(ctx context.Context, opts *PullOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	for _, name := range opts.Models {
		view := term.NewPullView(opts.IO, name, opts.JSON, opts.Quiet)
		err := models.Pull(ctx, c, name, opts.Insecure, func(p api.ProgressResponse) error {
			view.Update(p)
			return nil
		})
		view.Stop(err)
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				if !opts.JSON && !opts.Quiet {
					fmt.Fprintf(opts.IO.ErrOut, "pull of %s stopped; run `rein pull %s` again to resume\n", name, name)
				}
				return errInterrupted
			}
			var pe *models.PullError
			if errors.As(err, &pe) && pe.Kind == models.PullPlainHTTP && !opts.Insecure {
				return fmt.Errorf("%w; pass --insecure to allow it", err)
			}
			return err
		}
		if !opts.JSON && !opts.Quiet {
			fmt.Fprintf(opts.IO.ErrOut, "pulled %s\n", name)
		}
	}
	return nil
}
