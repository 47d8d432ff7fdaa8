package runlog

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileAppend: a record goes on a line of its own whatever the log's
// last line was, a folder the user named is never created, and a record
// that cannot be written is an error in one line.
func TestFileAppend(t *testing.T) {
	rec := map[string]any{"run_id": "new"}
	tests := []struct {
		name   string
		before string // "dir": a folder in the file's place
		noDir  bool
		want   string // the file after
		note   string
		err    string
	}{
		{name: "new file", want: `{"run_id":"new"}` + "\n"},
		{name: "torn last line", before: `{"run_id":"a"}` + "\n" + `{"run_id":"b","thin`,
			want: `{"run_id":"a"}` + "\n" + `{"run_id":"new"}` + "\n", note: "run log %DIR%/t.jsonl: cut off its torn last line (19 bytes of a write cut short) before appending"},
		{name: "no folder", noDir: true, err: "the run log's folder %DIR% does not exist: create it or choose another --log"},
		{name: "a folder in the way", before: "dir", err: "the run's record was not written to %DIR%/t.jsonl (open: is a directory): check the file and its disk, or choose another --log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.noDir {
				dir = filepath.Join(dir, "nonexistent", "dir")
			}
			path := filepath.Join(dir, "t.jsonl")
			switch tt.before {
			case "":
			case "dir":
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			default:
				if err := os.WriteFile(path, []byte(tt.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			note, err := File{Path: path}.Append(rec)
			if tt.err != "" {
				want := strings.ReplaceAll(tt.err, "%DIR%", dir)
				if err == nil || err.Error() != want {
					t.Fatalf("error %v, want %q", err, want)
				}
				if _, serr := os.Stat(filepath.Dir(dir)); tt.noDir && !errors.Is(serr, fs.ErrNotExist) {
					t.Errorf("a folder was created: %v", serr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tt.want {
				t.Errorf("log %q, want %q", got, tt.want)
			}
			if want := strings.ReplaceAll(tt.note, "%DIR%", dir); note != want {
				t.Errorf("note %q, want %q", note, want)
			}
		})
	}
}

// TestFileMakeDir: the default log's folder is created, with the log.
func TestFileMakeDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "rein", "runs.jsonl")
	if _, err := (File{Path: path, MakeDir: true}).Append(map[string]int{"n": 1}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != `{"n":1}`+"\n" {
		t.Errorf("log %q", got)
	}
}

// sinkFunc is a Sink for tests.
type sinkFunc func(any) (string, error)

func (f sinkFunc) Append(rec any) (string, error) { return f(rec) }

// TestFinish: the warnings not yet told come back in order, then the log's
// note; the JSON is written even when the log lost the record, whose error
// is the one returned.
func TestFinish(t *testing.T) {
	lost := errors.New("disk full")
	tests := []struct {
		name      string
		note      string
		logErr    error
		warnings  []string
		told      []string
		wantShow  []string
		wantErr   error
		wantLines int
	}{
		{name: "plain", warnings: []string{"a", "b"}, wantShow: []string{"a", "b"}, wantLines: 1},
		{name: "told already", warnings: []string{"a", "b"}, told: []string{"a"}, wantShow: []string{"b"}, wantLines: 1},
		{name: "log note last", warnings: []string{"a"}, note: "torn", wantShow: []string{"a", "torn"}, wantLines: 1},
		{name: "log lost it", logErr: lost, wantErr: lost, wantLines: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logged []any
			var js bytes.Buffer
			sink := sinkFunc(func(rec any) (string, error) { logged = append(logged, rec); return tt.note, tt.logErr })
			show, err := Finish(Output{Log: sink, JSON: &js}, map[string]string{"answer": "<42>"}, tt.warnings, tt.told)
			if strings.Join(show, "|") != strings.Join(tt.wantShow, "|") {
				t.Errorf("show %q, want %q", show, tt.wantShow)
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			if len(logged) != 1 {
				t.Errorf("logged %d records, want 1", len(logged))
			}
			if got := js.String(); got != `{"answer":"<42>"}`+"\n" || strings.Count(got, "\n") != tt.wantLines {
				t.Errorf("JSON %q: want one object, HTML unescaped", got)
			}
		})
	}
	if show, err := Finish(Output{}, 1, []string{"w"}, nil); err != nil || len(show) != 1 {
		t.Errorf("no log, no JSON: %q %v", show, err)
	}
}

// TestForRun: --no-log keeps no log; --log is never created; the default
// log's folder is.
func TestForRun(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	t.Setenv("REIN_LOG", "")
	if s := ForRun("x.jsonl", true); s != nil {
		t.Errorf("--no-log: %v", s)
	}
	if s := ForRun("x.jsonl", false); s != (File{Path: "x.jsonl"}) {
		t.Errorf("--log: %+v", s)
	}
	if s := ForRun("", false); s != (File{Path: filepath.Join(state, "rein", "runs.jsonl"), MakeDir: true}) {
		t.Errorf("default: %+v", s)
	}
	elsewhere := filepath.Join(state, "elsewhere.jsonl")
	t.Setenv("REIN_LOG", elsewhere)
	if s := ForRun("", false); s != (File{Path: elsewhere}) {
		t.Errorf("$REIN_LOG: %+v", s)
	}
}
