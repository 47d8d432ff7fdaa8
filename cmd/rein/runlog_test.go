package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
