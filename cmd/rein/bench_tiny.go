package main

import (
	"context"
	"fmt"

	"github.com/rein-dev/rein/bench"
	"github.com/rein-dev/rein/models/tiny"
)

// The built-in suite tiny runs on the learned tiny reasoner (models/tiny):
// with no --models it runs on it, creates it where it is missing, and like
// the demo suite starts a private server when none answers.

// tinySuite reports whether s is the built-in tiny suite.
func tinySuite(s *bench.Suite) bool { return s.File == "builtin:tiny" }

// suiteModels returns the --models flag, or the tiny model for the tiny
// suite when the flag names none.
func suiteModels(flag []string, s *bench.Suite) []string {
	if len(flag) == 0 && tinySuite(s) {
		return []string{tiny.Name}
	}
	return flag
}

// createTiny creates the tiny model on a host where it is missing; it
// reports whether model is the tiny model.
func createTiny(ctx context.Context, ios *IOStreams, h benchHost, model string) (bool, error) {
	if model != tiny.Name {
		return false, nil
	}
	if err := tiny.Create(ctx, h.client, model); err != nil {
		return true, err
	}
	fmt.Fprintln(ios.ErrOut, dim(ios, "created "+model+" on "+h.url.Host))
	return true, nil
}
