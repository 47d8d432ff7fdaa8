package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rein-dev/rein/runner"
)

// TestSuspectsPersist: suspects outlive the process, per server, merged
// with what other processes saved: a longer-lived process (a proxy, a
// bench) that exits later keeps another's suspects (the state file was
// once replaced whole), and --host runs save under their own server.
func TestSuspectsPersist(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", dir)
	path := filepath.Join(dir, "rein", suspectsFile)
	client := func(host string) *runner.Guard {
		c, err := guardedClient(&url.URL{Scheme: "http", Host: host})
		if err != nil {
			t.Fatal(err)
		}
		return runner.GuardOf(c)
	}
	read := func() map[string]map[string]time.Time {
		var all map[string]map[string]time.Time
		b, err := os.ReadFile(path)
		if err != nil || json.Unmarshal(b, &all) != nil {
			t.Fatalf("state file: %v", err)
		}
		return all
	}
	now := time.Now()

	// Two clients of one server: as two processes' would, each guard
	// merges only what it learned.
	long := client("127.0.0.1:41001") // a proxy, say, started first
	short := client("127.0.0.1:41001")
	short.MarkSuspect("persist/s", now.Add(-time.Second))
	if err := short.Save(); err != nil { // the short run exits first
		t.Fatal(err)
	}
	other := client("127.0.0.1:41002") // bench --host B
	other.MarkSuspect("persist/b", now.Add(-time.Minute))
	long.MarkSuspect("persist/a", now.Add(-time.Hour))
	if err := runner.SaveGuards(); err != nil {
		t.Fatal(err)
	}
	got := read()
	if since, ok := got["127.0.0.1:41001"]["persist/a"]; !ok || !since.Equal(now.Add(-time.Hour)) {
		t.Fatalf("saved %v", got)
	}
	if _, ok := got["127.0.0.1:41001"]["persist/s"]; !ok {
		t.Errorf("the longer-lived process's exit erased the short run's suspect: %v", got)
	}
	if _, ok := got["127.0.0.1:41002"]["persist/b"]; !ok || len(got["127.0.0.1:41002"]) != 1 {
		t.Errorf("the other server's suspects: %v", got["127.0.0.1:41002"])
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode: %v %v", fi.Mode(), err)
	}

	// Another process adds its own suspect meanwhile; this process's next
	// save (its exit) keeps it.
	got["127.0.0.1:41001"]["persist/c"] = now.Add(-2 * time.Minute)
	b, _ := json.Marshal(got)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	long.MarkSuspect("persist/d", now)
	if err := runner.SaveGuards(); err != nil {
		t.Fatal(err)
	}
	if h := read()["127.0.0.1:41001"]; len(h) != 4 {
		t.Errorf("after the other process's save and ours: %v, want a, c, d and s", h)
	}

	// A garbage file is no suspect and no error.
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s := client("127.0.0.1:41003").Suspects(); len(s) != 0 {
		t.Errorf("suspects from a garbage file: %v", s)
	}
	if err := runner.SaveGuards(); err != nil {
		t.Errorf("save over a garbage file: %v", err)
	}
}
