// Package term draws what rein shows on a terminal: a run as it streams,
// its figures, spinners, progress bars for pulls and benches; and routes
// Ctrl-C. It writes only to the streams it is given.
package term

import (
	"errors"
	"io"
	"os"
	"strconv"

	xterm "golang.org/x/term"
)

// IOStreams are the terminal streams a command writes to. Data goes to Out,
// progress and diagnostics to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// InIsTerminal and ErrIsTerminal say whether stdin and stderr are terminals.
	InIsTerminal  bool
	ErrIsTerminal bool
	// Color is false when NO_COLOR is set or stderr is not a terminal.
	Color bool
	// Interrupt routes Ctrl-C: it stops the command unless the chat holds
	// it to stop one turn (nil: nothing routed, as in tests).
	Interrupt *Interrupts
}

// System returns the process's streams.
func System() *IOStreams {
	inTTY := IsTerminal(os.Stdin)
	errTTY := IsTerminal(os.Stderr)
	_, noColor := os.LookupEnv("NO_COLOR")
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		InIsTerminal: inTTY, ErrIsTerminal: errTTY,
		Color: errTTY && !noColor,
	}
}

// IsTerminal reports whether f is a terminal; /dev/null, a character
// device too, is not.
func IsTerminal(f *os.File) bool {
	return xterm.IsTerminal(int(f.Fd()))
}

// ErrInterrupted is returned by commands (and a chat) that stopped on
// Ctrl-C after flushing what they had; rein exits 130 without a message.
var ErrInterrupted = errors.New("interrupted")

// Dim renders diagnostics faint where colour is on.
func Dim(ios *IOStreams, s string) string {
	if !ios.Color {
		return s
	}
	return "\x1b[2m" + s + "\x1b[0m"
}

// Plural is "1 run", "2 runs".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
