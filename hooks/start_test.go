package hooks

import (
	"context"
	"errors"
	"io"
	"testing"
)

func TestStartExecs(t *testing.T) {
	for _, tt := range []struct {
		name     string
		commands []string
		bad      bool
		err      string
	}{
		{"an unclosed quote", []string{`sh -c 'exit`}, true, ""},
		{"an empty command", []string{"  "}, true, `--hook "  ": parse command: empty command`},
		{"a program that is not there", []string{"./no-such-hook-program"}, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hs, closeAll, err := StartExecs(context.Background(), tt.commands, io.Discard, nil)
			if err == nil {
				closeAll()
				t.Fatalf("%d hooks, no error", len(hs))
			}
			if errors.Is(err, ErrBadCommand) != tt.bad {
				t.Errorf("error %v: bad command %v, want %v", err, errors.Is(err, ErrBadCommand), tt.bad)
			}
			if tt.err != "" && err.Error() != tt.err {
				t.Errorf("error %q, want %q", err, tt.err)
			}
		})
	}
	hs, closeAll, err := StartExecs(context.Background(), nil, io.Discard, nil)
	if err != nil || len(hs) != 0 {
		t.Fatalf("no commands: %d hooks, %v", len(hs), err)
	}
	closeAll()
}
