// Command rein drives local reasoning models through Ollama: it streams each
// run, times it, holds it to a reasoning budget and records it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rein-dev/rein/internal/term"

	"github.com/rein-dev/rein/runner"
)

// version is rein's own version; set with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit codes.
const (
	exitOK        = 0
	exitError     = 1
	exitUsage     = 2
	exitInterrupt = 130
)

// IOStreams are the terminal streams a command writes to (term.IOStreams).
type IOStreams = term.IOStreams

// usageError marks an error in the command line: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// newRootCmd is rein with its commands, on the real factory over ios.
func newRootCmd(ios *IOStreams) *cobra.Command { return newRoot(newFactory(ios)) }

func newRoot(f *Factory) *cobra.Command {
	ios := f.IOStreams
	root := &cobra.Command{
		Use:           "rein",
		Short:         "Rein in local reasoning models: budgets, traces and benchmarks on Ollama",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	root.SetIn(ios.In)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	for _, add := range subcommands {
		root.AddCommand(add(f))
	}
	return root
}

func main() {
	ios := term.System()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	// Ctrl-C cancels ctx too, unless the chat holds it (see interrupts).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stopInterrupts func()
	ios.Interrupt, stopInterrupts = term.NotifyInterrupts(cancel)
	defer stopInterrupts()
	err := newRootCmd(ios).ExecuteContext(ctx)
	_ = runner.SaveGuards() // best effort, like the suspicion itself
	os.Exit(exitCode(ctx, ios.ErrOut, err))
}

// exitCode turns an error into a one-line message on stderr and an exit code.
// It is the one place where errors become human sentences.
func exitCode(ctx context.Context, errOut io.Writer, err error) int {
	if err == nil {
		if ctx.Err() != nil {
			return exitInterrupt
		}
		return exitOK
	}
	if errors.Is(err, errInterrupted) || (ctx.Err() != nil && errors.Is(err, context.Canceled)) {
		return exitInterrupt
	}
	fmt.Fprintln(errOut, "rein: "+humanize(err))
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return exitUsage
	}
	return exitError
}

// errInterrupted is returned by commands that stopped on Ctrl-C after
// flushing what they had; main exits 130 without a message.
var errInterrupted = term.ErrInterrupted
