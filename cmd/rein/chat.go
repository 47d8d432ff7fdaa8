package main

import (
	"context"

	"github.com/rein-dev/rein/internal/chat"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/runner"
)

// chatLoop is the interactive chat of `rein run MODEL` with a terminal on
// stdin, as `ollama run` has it: every turn keeps the conversation and
// applies the budgets; /set changes them between turns; Ctrl-C stops the
// turn in progress and keeps the chat.
func chatLoop(ctx context.Context, opts *RunOptions, client runner.Backend, req *runner.Request) error {
	in, err := term.OpenChatInput(opts.IO)
	if err != nil {
		return err
	}
	defer in.Close()
	return newChatSession(opts, client, req, in).Loop(ctx)
}

// newChatSession is the chat over opts: its turns are runOnce's, the flags
// the user gave are "flag" in /show.
func newChatSession(opts *RunOptions, client runner.Backend, req *runner.Request, in term.ChatInput) *chat.Session {
	s := &chat.Session{IO: opts.IO, Backend: client, Req: req, In: in, Verbose: &opts.Verbose, Humanize: humanize,
		SetBy: map[string]string{}, Profiles: func() ([]models.Profile, error) { return loadProfiles(opts.Profiles) }}
	for name := range opts.changed {
		s.SetBy[name] = "flag"
	}
	s.Run = func(ctx context.Context, q *runner.Request) (*runner.Record, error) {
		return opts.runOnce(ctx, client, q)
	}
	return s
}
