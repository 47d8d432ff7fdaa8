package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rein-dev/rein/runner"
)

// TestSuspectsPersist: suspects outlive the process, by server, for a day.
func TestSuspectsPersist(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", dir)
	path := filepath.Join(dir, "rein", suspectsFile)
	now := time.Now()

	runner.MarkSuspect("persist/a", now.Add(-time.Hour))
	if err := saveSuspects("h:1", now); err != nil {
		t.Fatal(err)
	}
	got := readSuspects(path)
	if since, ok := got["h:1"]["persist/a"]; !ok || !since.Equal(now.Add(-time.Hour)) {
		t.Fatalf("saved %v", got)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode: %v %v", fi.Mode(), err)
	}

	// Another server's entries are kept; old ones are not loaded.
	got["h:2"] = map[string]time.Time{"persist/b": now.Add(-2 * time.Hour), "persist/old": now.Add(-48 * time.Hour)}
	writeJSONFile(t, path, got)
	loadSuspects("h:2", now)
	s := runner.Suspects()
	if _, ok := s["persist/b"]; !ok {
		t.Errorf("persist/b not loaded: %v", s)
	}
	if _, ok := s["persist/old"]; ok {
		t.Error("a two-day-old suspicion was loaded")
	}
	if err := saveSuspects("h:1", now); err != nil {
		t.Fatal(err)
	}
	if again := readSuspects(path); len(again["h:2"]) != 2 || len(again["h:1"]) == 0 {
		t.Errorf("after a save for h:1: %v", again)
	}

	// A garbage file is no suspect and no error.
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	loadSuspects("h:1", now)
	if err := saveSuspects("h:1", now); err != nil {
		t.Errorf("save over a garbage file: %v", err)
	}
}

func writeJSONFile(t *testing.T, path string, v suspectsByHost) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
