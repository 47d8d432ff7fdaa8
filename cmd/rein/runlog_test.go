package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteRunLog: a record goes on a line of its own whatever the log's
// last line was, a folder the user named is never created, and a record
// that cannot be written is an error in one line.
func TestWriteRunLog(t *testing.T) {
	rec := map[string]any{"run_id": "new"}
	tests := []struct {
		name    string
		before  string // "" with noFile: no file
		noDir   bool
		want    string // the file after
		warning string
		err     string
	}{
		{name: "new file", want: `{"run_id":"new"}` + "\n"},
		{name: "torn last line", before: `{"run_id":"a"}` + "\n" + `{"run_id":"b","thin`,
			want: `{"run_id":"a"}` + "\n" + `{"run_id":"new"}` + "\n", warning: "cut off its torn last line (19 bytes"},
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
			var errOut bytes.Buffer
			err := writeRunLog(&errOut, path, rec)
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
			if w := errOut.String(); !strings.Contains(w, tt.warning) || (tt.warning == "") != (w == "") || strings.Count(w, "\n") > 1 {
				t.Errorf("stderr %q, want a line with %q", w, tt.warning)
			}
		})
	}
}

// TestRunLogNeverGlues is the reproducer on the real server: a run
// log left with a torn last line (a run killed mid-write) gets the next
// record on a line of its own, with a warning; --log in a missing folder is
// an error in one line and a non-zero exit, and creates nothing.
func TestRunLogNeverGlues(t *testing.T) {
	s := needModels(t)
	ctx := context.Background()
	log := filepath.Join(t.TempDir(), "t.jsonl")
	if _, errOut, code := reinRun(t, ctx, s, nil, "t/closer", "first", "--log", log); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, errOut)
	}
	// What a second run killed by `ulimit -f` mid-write leaves.
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"run_id":"second","prompt":"sec`)
	f.Close()
	_, errOut, code := reinRun(t, ctx, s, nil, "t/closer", "third", "--log", log)
	if code != 0 || !strings.Contains(errOut, "cut off its torn last line") {
		t.Fatalf("third run: exit %d, stderr %q", code, errOut)
	}
	recs := readLog(t, log)
	if len(recs) != 2 || recs[0]["prompt"] != "first" || recs[1]["prompt"] != "third" {
		t.Fatalf("log: %d records %v", len(recs), recs)
	}

	missing := filepath.Join(t.TempDir(), "nonexistent", "dir", "x.jsonl")
	out, errOut, code := reinRun(t, ctx, s, nil, "t/closer", "fourth", "--log", missing, "--json")
	if code != exitError || !strings.Contains(errOut, "folder "+filepath.Dir(missing)+" does not exist") ||
		strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("missing folder: exit %d, stderr %q", code, errOut)
	}
	var rec map[string]any
	if json.Unmarshal([]byte(out), &rec) != nil || rec["prompt"] != "fourth" {
		t.Errorf("the record still goes to stdout with --json: %q", out)
	}
	if _, err := os.Stat(filepath.Dir(filepath.Dir(missing))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a folder was created: %v", err)
	}
}
