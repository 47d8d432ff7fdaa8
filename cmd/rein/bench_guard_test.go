package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rein-dev/rein/hooks"
)

// TestBenchResultsFileChecks: a second bench on a results file another one
// holds says so and exits, before it asks any server; a results file in a
// folder that does not exist is a usage error that creates nothing.
func TestBenchResultsFileChecks(t *testing.T) {
	t.Setenv("OLLAMA_HOST", "127.0.0.1:1") // no server: the checks come first
	dir := t.TempDir()
	out := filepath.Join(dir, "r.jsonl")
	held, _, err := hooks.LockJSONL(out)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	_, stderr, code := reinBench(t, context.Background(), nil, "--suite", "demo", "--host", "127.0.0.1:1", "-o", out)
	want := "results file " + out + " is in use by another rein bench"
	if code != exitError || !strings.Contains(stderr, want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("held file: exit %d, stderr %q; want %q", code, stderr, want)
	}
	missing := filepath.Join(dir, "no", "such", "r.jsonl")
	_, stderr, code = reinBench(t, context.Background(), nil, "--suite", "demo", "--host", "127.0.0.1:1", "-o", missing)
	if code != exitUsage || !strings.Contains(stderr, "folder "+filepath.Dir(missing)+" does not exist") {
		t.Errorf("missing folder: exit %d, stderr %q", code, stderr)
	}
}
