package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRunHookProcessGroup: `rein run --hook "sh -c 'sleep 300 & sleep 300'"`
// leaves no sleep running once the run is over.
func TestRunHookProcessGroup(t *testing.T) {
	s := needModels(t)
	file := filepath.Join(t.TempDir(), "pids")
	hook := `sh -c 'sleep 300 & echo $! >> "$0"; sleep 301 & echo $! >> "$0"; wait' ` + file
	_, errOut, code := reinRun(t, context.Background(), s, nil, "t/closer", "hi", "--no-log", "--hook", hook)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, _ := os.ReadFile(file)
	pids := strings.Fields(string(b))
	if len(pids) != 2 {
		t.Fatalf("the hook started %q", pids)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, p := range pids {
		for processAlive(p) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if processAlive(p) {
			t.Errorf("sleep %s outlived the run", p)
		}
	}
}

// processAlive reports whether pid is a live process (a zombie is not).
func processAlive(pid string) bool {
	if _, err := strconv.Atoi(pid); err != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
