package main

import (
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestOpenSuiteInterrupted: reading a suite listens to Ctrl-C, even when the
// file never ends (here a named pipe no one writes to).
func TestOpenSuiteInterrupted(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "suite.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() {
		_, err := openSuite(ctx, fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, errInterrupted) {
			t.Fatalf("error %v, want interrupted", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("openSuite did not listen to the cancellation")
	}
}
