package main

import (
	"fmt"
	"io"

	"github.com/rein-dev/rein/runlog"
)

// finish ends a run through runlog.Finish (its log, its JSON) and prints
// the warnings it returns on errOut. The error is the record's loss.
func finish(errOut io.Writer, out runlog.Output, rec any, warnings, told []string) error {
	show, err := runlog.Finish(out, rec, warnings, told)
	for _, w := range show {
		fmt.Fprintln(errOut, "rein: warning: "+w)
	}
	return err
}

// runOutput is where rein run and a chat turn send a finished run: the run
// log (--log, else the default; none with --no-log) and, with --json,
// stdout.
func (o *RunOptions) runOutput() runlog.Output {
	out := runlog.Output{Log: runlog.ForRun(o.Log, o.NoLog)}
	if o.JSON {
		out.JSON = o.IO.Out
	}
	return out
}
