package main

import (
	"time"

	"github.com/ollama/ollama/api"
	"github.com/spf13/cobra"

	"github.com/rein-dev/rein/models"
)

// Factory is what the commands take from the world, injected as gh's
// cmdutil.Factory is: the terminal's streams, the server's client, the
// profiles (the built-ins with the user's file) and the clock. Tests give
// a command buffers, a fake or test server and profiles of their own.
type Factory struct {
	IOStreams *IOStreams
	// Client returns the client of the Ollama server at OLLAMA_HOST.
	Client func() (*api.Client, error)
	// Profiles returns the profiles and the path of the user's file.
	Profiles func() ([]models.Profile, string, error)
	Now      func() time.Time
}

// newFactory is the factory of the real command: the environment's
// server, the user's profile file, the wall clock.
func newFactory(ios *IOStreams) *Factory {
	return &Factory{IOStreams: ios, Client: envClient, Profiles: cachedProfiles, Now: time.Now}
}

// register adds a command to rein: newCmd is its NewCmdX(f, runF), given
// no runF. Each command's file registers its own in an init function.
func register[O any](newCmd func(*Factory, func(*O) error) *cobra.Command) {
	subcommands = append(subcommands, func(f *Factory) *cobra.Command { return newCmd(f, nil) })
}

// subcommands are rein's commands, in the order their files register them.
var subcommands []func(*Factory) *cobra.Command

// runOr runs runF with the command's options where a test gave one (the
// flags parsed, nothing run), else the command's own run.
func runOr[O any](runF func(*O) error, opts *O, run func() error) error {
	if runF != nil {
		return runF(opts)
	}
	return run()
}
