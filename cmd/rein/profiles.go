package main

import (
	"context"
	"fmt"

	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/models"
	"github.com/spf13/cobra"
)

func init() { register(NewCmdProfiles) }

// ProfilesOptions are the flags of `rein profiles`.
type ProfilesOptions struct {
	IO       *IOStreams
	Profiles func() ([]models.Profile, string, error)
	// Path is where the user's file is looked for.
	Path func() string
	JSON bool
}

// NewCmdProfiles is `rein profiles`.
func NewCmdProfiles(f *Factory, runF func(*ProfilesOptions) error) *cobra.Command {
	opts := &ProfilesOptions{IO: f.IOStreams, Profiles: f.Profiles, Path: models.ProfilesPath}
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "List the model family profiles and say which profile file was read",
		Long: `List the profiles rein matches models against, in matching order: their
thinking tags, what they match (model names, families, template contents) and
where they come from.

A profile file, $REIN_CONFIG_DIR/profiles.yaml (else
$XDG_CONFIG_HOME/rein/profiles.yaml, else ~/.config/rein/profiles.yaml), can
add profiles or change fields of the built-in ones:

  profiles:
    - name: qwen3              # a built-in: change some fields
      options:
        temperature: 0.7
        num_ctx: null          # null removes a default
    - name: my-reasoner        # a new profile, matched before the built-ins
      match:
        names: ["my-reasoner*"]
        families: [llama]
        template_contains: ["<reasoning>"]
      think_open: "<reasoning>"
      think_close: "</reasoning>"
      system: "Think step by step."
      budget_messages:
        en: "\n\nTime is up; I answer now.\n"
      step_split: paragraph    # paragraph, line, sentence or marker
      think_off: {how: flag}   # flag, or prompt-suffix with suffix: /no_think
      think_levels: []
      chat: false

A flag always wins over a profile value.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOr(runF, opts, func() error { return profilesRun(cmd.Context(), opts) })
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "write the profiles as JSON")
	return cmd
}

func profilesRun(_ context.Context, opts *ProfilesOptions) error {
	profiles, read, err := opts.Profiles()
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.IO.Out, struct {
			File     string           `json:"file"`
			LookedAt string           `json:"looked_at"`
			Profiles []models.Profile `json:"profiles"`
		}{read, opts.Path(), profiles})
	}
	if read != "" {
		fmt.Fprintf(opts.IO.ErrOut, "profiles file: %s\n", read)
	} else {
		fmt.Fprintf(opts.IO.ErrOut, "profiles file: none (create %s to add or change profiles)\n", opts.Path())
	}
	return term.WriteProfiles(opts.IO.Out, profiles)
}

// loadProfiles returns the profiles of load (a Factory's), else the user's.
func loadProfiles(load func() ([]models.Profile, string, error)) ([]models.Profile, error) {
	if load == nil {
		return userProfiles()
	}
	ps, _, err := load()
	return ps, err
}

// cachedProfiles is Factory.Profiles: userProfiles and the file's path.
func cachedProfiles() ([]models.Profile, string, error) {
	ps, err := userProfiles()
	return ps, models.ProfilesPath(), err
}

// userProfiles are the built-ins with the user's profile file (models.CachedProfiles).
func userProfiles() ([]models.Profile, error) { return models.CachedProfiles() }
