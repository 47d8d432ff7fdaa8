package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/rein-dev/rein/runner"
)

// The models whose stream rein abandoned (runner/wedge.go) stay suspects
// across processes: a Ctrl-C ends a rein run mid-stream, and on Ollama
// 0.17.x that can leave the model's runner wedged, so the next rein run on
// it must be watched too. They are kept in the state folder, by server.

// suspectsFile is the file, in stateDir.
const suspectsFile = "suspects.json"

// suspectsMaxAge drops older entries: a wedge lasts until the server
// restarts, but a day-old suspicion is more likely stale than true.
const suspectsMaxAge = 24 * time.Hour

type suspectsByHost map[string]map[string]time.Time

func suspectsPath() string {
	dir := stateDir()
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, suspectsFile)
}

func readSuspects(path string) suspectsByHost {
	all := suspectsByHost{}
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &all) != nil {
		return suspectsByHost{}
	}
	return all
}

// loadSuspects makes the models recorded for host suspects in this
// process. It is best effort: a missing or unreadable file is no suspect.
func loadSuspects(host string, now time.Time) {
	path := suspectsPath()
	if path == "" {
		return
	}
	for model, since := range readSuspects(path)[host] {
		if now.Sub(since) < suspectsMaxAge {
			runner.MarkSuspect(model, since)
		}
	}
}

// saveSuspects records this process's suspects for host, replacing what
// the file held for it; the file is written only when that changes.
func saveSuspects(host string, now time.Time) error {
	path := suspectsPath()
	if path == "" {
		return nil
	}
	all := readSuspects(path)
	cur := map[string]time.Time{}
	for model, since := range runner.Suspects() {
		if now.Sub(since) < suspectsMaxAge {
			cur[model] = since
		}
	}
	if maps.EqualFunc(all[host], cur, time.Time.Equal) {
		return nil
	}
	if len(cur) == 0 {
		delete(all, host)
	} else {
		all[host] = cur
	}
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), suspectsFile+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
