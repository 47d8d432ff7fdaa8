package main

import (
	"context"
	"encoding/json"
	"io"

	"github.com/ollama/ollama/api"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/models"
	"github.com/spf13/cobra"
)

func init() { register(NewCmdModels) }

// ModelsOptions are the flags of `rein models`.
type ModelsOptions struct {
	IO       *IOStreams
	Client   func() (*api.Client, error)
	Profiles func() ([]models.Profile, string, error)
	JSON     bool
}

// NewCmdModels is `rein models`.
func NewCmdModels(f *Factory, runF func(*ModelsOptions) error) *cobra.Command {
	opts := &ModelsOptions{IO: f.IOStreams, Client: f.Client, Profiles: f.Profiles}
	cmd := &cobra.Command{
		Use:     "models",
		Aliases: []string{"ls"},
		Short:   "List the models Ollama holds, with the profile rein uses for each",
		Long: `List the models the Ollama server holds: size, parameter count,
quantization, family, whether it can think, its training context length,
and the profile that matches it (see rein profiles).

--json writes an array of objects with the keys name, size (bytes),
parameters, quantization, family, thinking, context_length and profile.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOr(runF, opts, func() error { return modelsRun(cmd.Context(), opts) })
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "write a JSON array")
	return cmd
}

func modelsRun(ctx context.Context, opts *ModelsOptions) error {
	profiles, _, err := opts.Profiles()
	if err != nil {
		return err
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	list, err := models.List(ctx, c, profiles)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.IO.Out, list)
	}
	return term.WriteModels(opts.IO.Out, list)
}

// writeJSON writes v as indented JSON and a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
