package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/format"
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
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSIZE\tPARAMETERS\tQUANTIZATION\tFAMILY\tTHINKING\tCONTEXT\tPROFILE")
	for _, m := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Name, format.HumanBytes(m.Size),
			orDash(m.Parameters), orDash(m.Quantization), orDash(m.Family), yesNo(m.Thinking),
			intOrDash(m.ContextLength), m.Profile)
	}
	return tw.Flush()
}

// writeJSON writes v as indented JSON and a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func intOrDash(n int64) string {
	if n <= 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
