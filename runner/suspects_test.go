package runner

import (
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestSuspectsFileMerges: two processes' guards on one state file (here
// two guards, as two processes hold them) each merge only what they
// learned, per server: one's exit never erases the other's suspects, and
// another server's guard sees none of them.
func TestSuspectsFileMerges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "suspects.json")
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	open := func(host string) *Guard {
		g := NewGuard(nil)
		g.Now = clock
		g.Attach(host, path)
		return g
	}
	a, b := open("h:1"), open("h:1")
	a.MarkSuspect("m1:latest", now.Add(-time.Minute))
	b.MarkSuspect("m2", now.Add(-2*time.Minute))
	if err := a.Save(); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(); err != nil { // the longer-lived process exits last
		t.Fatal(err)
	}
	c := open("h:1")
	if s := c.Suspects(); len(s) != 2 || !s["m1"].Equal(now.Add(-time.Minute)) || !s["m2"].Equal(now.Add(-2*time.Minute)) {
		t.Fatalf("after both saved: %v, want m1 and m2", s)
	}
	if s := open("h:2").Suspects(); len(s) != 0 {
		t.Errorf("another server's guard: %v, want none", s)
	}

	// A finished stream on m1 clears it, in the file too; m2 stays.
	a.clear("m1")
	if err := a.Save(); err != nil {
		t.Fatal(err)
	}
	if s := open("h:1").Suspects(); len(s) != 1 || s["m2"].IsZero() {
		t.Errorf("after a cleared m1: %v, want m2 alone", s)
	}

	// Old entries are dropped on load.
	old := open("h:1")
	old.MarkSuspect("m3", now.Add(-SuspectsMaxAge-time.Minute))
	if err := old.Save(); err != nil {
		t.Fatal(err)
	}
	if _, ok := open("h:1").Suspects()["m3"]; ok {
		t.Error("a suspect older than SuspectsMaxAge came back")
	}

	// Many processes at once: every one's suspect is kept.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := open("h:3")
			g.MarkSuspect(string(rune('a'+i)), now)
			if err := g.Save(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if s := open("h:3").Suspects(); len(s) != 8 {
		t.Errorf("8 concurrent savers left %d suspects: %v", len(s), s)
	}
}

// TestGuardOf: one guard per backend value; a guard is its own guard.
func TestGuardOf(t *testing.T) {
	f := newFakeServer(t, defaultModel())
	c := f.client()
	g := GuardOf(c)
	if GuardOf(c) != g || GuardOf(g) != g {
		t.Error("GuardOf does not keep one guard per backend")
	}
	if GuardOf(newFakeServer(t, defaultModel()).client()) == g {
		t.Error("two servers share a guard")
	}
}
