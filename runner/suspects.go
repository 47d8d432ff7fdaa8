package runner

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rein-dev/rein/hooks"
)

// A guard's suspects outlive the process in a state file, by server: a
// Ctrl-C ends a rein run mid-stream, and on an affected Ollama that can
// leave the model's runner wedged, so the next process on that server must
// watch the model too. Several rein processes (a run, a proxy, a bench)
// share the file: each merges only the models it marked or cleared, under
// a lock, so that one process's exit never erases another's suspects.

// SuspectsMaxAge drops older entries: a wedge lasts until the server
// restarts, but a day-old suspicion is more likely stale than true.
const SuspectsMaxAge = 24 * time.Hour

// suspectsFile is the state file's layout: host → model → since.
type suspectsFile map[string]map[string]time.Time

// Attach names the guard's server (host:port) and its state file, and
// makes the suspects the file holds for that server this guard's. It is
// best effort: a missing or unreadable file holds no suspect.
func (g *Guard) Attach(host, path string) {
	g.mu.Lock()
	g.Host, g.state = host, path
	g.mu.Unlock()
	if path == "" {
		return
	}
	var all suspectsFile
	_ = withFileLock(path, syscall.LOCK_SH, func() error {
		all = readSuspectsFile(path)
		return nil
	})
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	for model, since := range all[host] {
		if now.Sub(since) < SuspectsMaxAge {
			if cur, ok := g.suspects[model]; !ok || since.After(cur) {
				g.suspects[model] = since // known, not changed here
			}
		}
	}
}

// Save merges what this guard learned into its state file: the models it
// marked or cleared since Attach replace the file's entries for them on
// this server; every other entry stays. Without an attached file it does
// nothing.
func (g *Guard) Save() error {
	g.mu.Lock()
	host, path := g.Host, g.state
	cur := map[string]time.Time{}
	changed := make([]string, 0, len(g.changed))
	for m := range g.changed {
		changed = append(changed, m)
		if since, ok := g.suspects[m]; ok {
			cur[m] = since
		}
	}
	g.mu.Unlock()
	if path == "" || len(changed) == 0 {
		return nil
	}
	now := g.now()
	return withFileLock(path, syscall.LOCK_EX, func() error {
		all := readSuspectsFile(path)
		h := all[host]
		if h == nil {
			h = map[string]time.Time{}
		}
		for _, m := range changed {
			if since, ok := cur[m]; ok {
				h[m] = since
			} else {
				delete(h, m)
			}
		}
		for m, since := range h {
			if now.Sub(since) >= SuspectsMaxAge {
				delete(h, m)
			}
		}
		if len(h) == 0 {
			delete(all, host)
		} else {
			all[host] = h
		}
		if err := writeSuspectsFile(path, all); err != nil {
			return err
		}
		g.mu.Lock()
		for _, m := range changed {
			delete(g.changed, m)
		}
		g.mu.Unlock()
		return nil
	})
}

// SaveGuards saves every guard of the process that has a state file
// (GuardOf's, attached), and returns the first error.
func SaveGuards() error {
	guards.Lock()
	gs := make([]*Guard, 0, len(guards.m))
	for _, g := range guards.m {
		gs = append(gs, g)
	}
	guards.Unlock()
	var first error
	for _, g := range gs {
		if err := g.Save(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func readSuspectsFile(path string) suspectsFile {
	all := suspectsFile{}
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &all) != nil {
		return suspectsFile{}
	}
	return all
}

// writeSuspectsFile replaces the file at once (a temporary file renamed),
// so that a reader never sees half of it.
func writeSuspectsFile(path string, all suspectsFile) error {
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
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

// withFileLock runs fn holding a lock on path's lock file (path + ".lock"),
// made with the folder if need be: LOCK_SH to read, LOCK_EX to change.
func withFileLock(path string, how int, fn func() error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return fn() // a read-only state folder: no lock, no harm to reads
		}
		return err
	}
	defer f.Close()
	if err := hooks.Flock(f, how); err != nil {
		return err
	}
	defer hooks.Flock(f, syscall.LOCK_UN)
	return fn()
}
