// Package runlog finishes runs: every run's record, from rein run, a chat
// turn, a bench or the proxy, goes through Finish, which appends it to its
// log (a run log or a bench's results file), writes its JSON and returns
// the warnings still to show. It prints nothing.
package runlog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rein-dev/rein/hooks"
)

// DefaultMaxBytes is the size at which a run log rotates to FILE.1.
const DefaultMaxBytes = 64 << 20

// Sink is where a finished run's record is appended.
type Sink interface {
	// Append writes one record. A note, when not "", is a warning about
	// the sink itself (a torn last line it cut off first).
	Append(rec any) (note string, err error)
}

// Output says where a finished run goes; a nil field is skipped.
type Output struct {
	Log  Sink
	JSON io.Writer
}

// Finish ends a run: it appends rec to out.Log and writes it to out.JSON
// as one JSON object, and returns the warnings to show: those of warnings
// not in told (shown during the run), in order, then the log's own. The
// error is the first that lost the record, in one line that says what to
// do next; the JSON is written even when the log failed.
func Finish(out Output, rec any, warnings, told []string) ([]string, error) {
	var show []string
	for _, w := range warnings {
		if !slices.Contains(told, w) {
			show = append(show, w)
		}
	}
	var err error
	if out.Log != nil {
		note, lerr := out.Log.Append(rec)
		if note != "" {
			show = append(show, note)
		}
		err = lerr
	}
	if out.JSON != nil {
		enc := json.NewEncoder(out.JSON)
		enc.SetEscapeHTML(false)
		if jerr := enc.Encode(rec); jerr != nil && err == nil {
			err = fmt.Errorf("write the record: %w", jerr)
		}
	}
	return show, err
}

// File is a run log: a JSONL file, rotated at MaxBytes (0: DefaultMaxBytes).
// MakeDir creates its folder (rein's own state folder); a folder the user
// named is never created.
type File struct {
	Path     string
	MakeDir  bool
	MaxBytes int64
}

// Append appends rec on a line of its own: a torn last line (a write cut
// short) is cut off first, and the note says so.
func (f File) Append(rec any) (string, error) {
	if f.MakeDir {
		if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
			return "", fmt.Errorf("the run's record was not written: %v", err)
		}
	}
	limit := f.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	torn, err := hooks.AppendJSONLTorn(f.Path, rec, limit)
	note := ""
	if torn > 0 {
		note = fmt.Sprintf("run log %s: cut off its torn last line (%d bytes of a write cut short) before appending", f.Path, torn)
	}
	switch {
	case err == nil:
		return note, nil
	case errors.Is(err, hooks.ErrNoFolder):
		return note, fmt.Errorf("the run log's folder %s does not exist: create it or choose another --log", filepath.Dir(f.Path))
	}
	cause := strings.TrimPrefix(err.Error(), "append "+f.Path+": ")
	return note, fmt.Errorf("the run's record was not written to %s (%s): check the file and its disk, or choose another --log", f.Path, cause)
}

// Results is a bench's results file, held locked for the bench's length.
type Results struct{ *hooks.LockedJSONL }

// Append appends rec.
func (r Results) Append(rec any) (string, error) { return "", r.LockedJSONL.Append(rec) }

// DefaultPath is the run log of rein run: $REIN_LOG, else
// $XDG_STATE_HOME/rein/runs.jsonl, else ~/.local/state/rein/runs.jsonl; ""
// when there is no home.
func DefaultPath() string {
	if p := os.Getenv("REIN_LOG"); p != "" {
		return p
	}
	if dir := StateDir(); dir != "" {
		return filepath.Join(dir, "runs.jsonl")
	}
	return ""
}

// StateDir is rein's state folder: $XDG_STATE_HOME/rein, else
// ~/.local/state/rein; "" when there is no home.
func StateDir() string {
	state := os.Getenv("XDG_STATE_HOME")
	if state == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		state = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(state, "rein")
}

// ForRun is the run log of rein run and chat turns: path (--log), else
// DefaultPath; nil with noLog or where there is none. The default log's
// folder is created; one the user named (--log, $REIN_LOG) never is.
func ForRun(path string, noLog bool) Sink {
	if noLog {
		return nil
	}
	def := DefaultPath()
	if path == "" {
		path = def
	}
	if path == "" {
		return nil
	}
	return File{Path: path, MakeDir: os.Getenv("REIN_LOG") == "" && path == def}
}
