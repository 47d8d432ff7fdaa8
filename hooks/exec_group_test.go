package hooks

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// alive reports whether pid is a live process (a zombie is not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// startedPids waits for the hook to write the pids of what it started.
func startedPids(t *testing.T, file string, n int) []int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(file)
		if f := strings.Fields(string(b)); len(f) >= n {
			var pids []int
			for _, s := range f[:n] {
				p, err := strconv.Atoi(s)
				if err != nil {
					t.Fatal(err)
				}
				pids = append(pids, p)
			}
			return pids
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the hook did not start its children")
	return nil
}

// TestExecProcessGroup: a hook runs in a process group of its own, and the
// group ends with the run, so nothing the hook started outlives it:
// sh -c 'sleep 300 & sleep 300' (closed, or cancelled), and a hook that
// exits at once but leaves a child behind.
func TestExecProcessGroup(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	tests := []struct {
		name   string
		script string // writes the pids it starts to $0
		n      int
		cancel bool // end the run by cancelling, not Close
	}{
		{"closed", `sleep 300 & echo $! >> "$0"; sleep 301 & echo $! >> "$0"; wait`, 2, false},
		{"cancelled", `sleep 300 & echo $! >> "$0"; sleep 301 & echo $! >> "$0"; wait`, 2, true},
		{"exits, leaving a child", `sleep 302 </dev/null >/dev/null 2>&1 & echo $! >> "$0"; exit 0`, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "pids")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var got errs
			e, err := NewExec(ctx, []string{"sh", "-c", tt.script, file}, ExecOptions{OnError: got.add})
			if err != nil {
				t.Fatal(err)
			}
			pids := startedPids(t, file, tt.n)
			if pgid, err := syscall.Getpgid(pids[0]); err != nil || pgid != e.cmd.Process.Pid {
				t.Errorf("the hook's child is in process group %d (%v), want the hook's own, %d", pgid, err, e.cmd.Process.Pid)
			}
			if tt.cancel {
				cancel()
			}
			done := make(chan struct{})
			go func() { e.Close(); close(done) }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				t.Fatal("Close hung")
			}
			deadline := time.Now().Add(5 * time.Second)
			for _, pid := range pids {
				for alive(pid) && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if alive(pid) {
					t.Errorf("pid %d, started by the hook, outlived the run", pid)
				}
			}
		})
	}
}
