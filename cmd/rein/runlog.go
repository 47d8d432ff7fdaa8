package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rein-dev/rein/hooks"
)

// writeRunLog appends a run's record to the run log at path. The folder of
// the default log (rein's state folder) is created; a folder the user
// named (--log, $REIN_LOG) never is. A torn last line (a write cut short)
// is cut off first, with a warning on errOut. A record that could not be
// written is the error, in one line.
func writeRunLog(errOut io.Writer, path string, rec any) error {
	if os.Getenv("REIN_LOG") == "" && path == defaultLogPath() {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return fmt.Errorf("the run's record was not written: %v", err)
		}
	}
	torn, err := hooks.AppendJSONLTorn(path, rec, logMaxBytes)
	if torn > 0 {
		fmt.Fprintf(errOut, "rein: warning: run log %s: cut off its torn last line (%d bytes of a write cut short) before appending\n", path, torn)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, hooks.ErrNoFolder):
		return fmt.Errorf("the run log's folder %s does not exist: create it or choose another --log", filepath.Dir(path))
	}
	cause := strings.TrimPrefix(err.Error(), "append "+path+": ")
	return fmt.Errorf("the run's record was not written to %s (%s): check the file and its disk, or choose another --log", path, cause)
}
