package hooks

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ErrBadCommand marks a hook command line that cannot be split into words.
var ErrBadCommand = errors.New("bad hook command")

// StartExecs starts one external hook per command line (ParseCommand),
// with stderr for their own and onError for their drop; closeAll stops
// them all. A command line that does not parse is ErrBadCommand, and
// nothing is left running after an error.
func StartExecs(ctx context.Context, commands []string, stderr io.Writer, onError func(error)) (hs []Hook, closeAll func(), err error) {
	var started []*Exec
	closeAll = func() {
		for _, e := range started {
			e.Close()
		}
	}
	for _, c := range commands {
		argv, err := ParseCommand(c)
		if err != nil {
			closeAll()
			return nil, nil, badCommand{fmt.Sprintf("--hook %q: %v", c, err)}
		}
		if len(argv) == 0 {
			closeAll()
			return nil, nil, badCommand{"--hook: empty command"}
		}
		e, err := NewExec(ctx, argv, ExecOptions{Stderr: stderr, OnError: onError})
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("start hook %s: %w", argv[0], err)
		}
		started = append(started, e)
		hs = append(hs, e)
	}
	return hs, closeAll, nil
}

// badCommand is ErrBadCommand with the command's own message.
type badCommand struct{ msg string }

func (e badCommand) Error() string        { return e.msg }
func (e badCommand) Is(target error) bool { return target == ErrBadCommand }
