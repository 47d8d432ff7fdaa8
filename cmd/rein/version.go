package main

import (
	"context"
	"fmt"

	"github.com/ollama/ollama/api"
	"github.com/spf13/cobra"
)

func init() { register(NewCmdVersion) }

type VersionOptions struct {
	IO     *IOStreams
	Client func() (*api.Client, error)
}

// NewCmdVersion is `rein version`; runF, when set, gets the options
// instead of versionRun (as every NewCmdX's).
func NewCmdVersion(f *Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IOStreams, Client: f.Client}
	return &cobra.Command{
		Use:   "version",
		Short: "Print rein's version and the version of the Ollama server it reaches",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOr(runF, opts, func() error { return versionRun(cmd.Context(), opts) })
		},
	}
}

func versionRun(ctx context.Context, opts *VersionOptions) error {
	fmt.Fprintf(opts.IO.Out, "rein %s\n", version)
	c, err := opts.Client()
	if err != nil {
		return err
	}
	v, err := c.Version(ctx)
	if err != nil {
		return fmt.Errorf("ollama version: %w", err)
	}
	fmt.Fprintf(opts.IO.Out, "ollama %s\n", v)
	return nil
}
