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

func init() { register(NewCmdShow) }

// ShowOptions are the flags of `rein show`.
type ShowOptions struct {
	IO       *IOStreams
	Client   func() (*api.Client, error)
	Profiles func() ([]models.Profile, string, error)
	Model    string
	Template bool
	JSON     bool
}

// showTemplateLines is how much of the template `rein show` prints without
// --template.
const showTemplateLines = 12

// NewCmdShow is `rein show`.
func NewCmdShow(f *Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams, Client: f.Client, Profiles: f.Profiles}
	cmd := &cobra.Command{
		Use:   "show MODEL",
		Short: "Show the profile, thinking tags, capabilities, template and figures of a model",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Model = args[0]
			return runOr(runF, opts, func() error { return showRun(cmd.Context(), opts) })
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Template, "template", false, "print the whole template")
	fl.BoolVar(&opts.JSON, "json", false, "write the description as JSON")
	return cmd
}

func showRun(ctx context.Context, opts *ShowOptions) error {
	profiles, _, err := opts.Profiles()
	if err != nil {
		return err
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	d, err := models.Describe(ctx, c, opts.Model, profiles)
	if err != nil {
		var se api.StatusError
		if errors.As(err, &se) && se.StatusCode == 404 {
			return fmt.Errorf("%w: %w", modelNotFoundError{Name: opts.Model}, se)
		}
		return err
	}
	if opts.JSON {
		return writeJSON(opts.IO.Out, d)
	}
	term.WriteDescription(opts.IO.Out, d, opts.Template, showTemplateLines)
	return nil
}
