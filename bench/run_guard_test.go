package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rein-dev/rein/models"
)

// refused is the error of a run whose server is gone, as the Ollama client
// returns it.
var refused = fmt.Errorf("run m1: %w", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})

// hung is the error of a run whose server accepts and never answers.
var hung = fmt.Errorf("show m1: %w", &url.Error{Op: "Post", URL: "http://127.0.0.1:11434/api/show",
	Err: &models.TimeoutError{Server: "127.0.0.1:11434", Path: "/api/show", Limit: 30 * time.Second, Env: models.EnvDescribeTimeout}})

// TestRunStopsOnDeadServer: after a few runs in a row that cannot reach the
// server, the bench stops and leaves the rest of its matrix to the next
// run; a failure now and then does not stop it.
func TestRunStopsOnDeadServer(t *testing.T) {
	jobs := testMatrix(t) // 24
	tests := []struct {
		name      string
		dies      int32 // the run from which on the server is gone (1-based); 0 never
		every     int32 // or: every n-th run fails to connect
		limit     int
		err       error // the failed runs' error; nil: refused
		wantRan   int
		wantError bool
	}{
		{name: "dies after 5 runs", dies: 6, wantRan: 8, wantError: true},
		{name: "stops answering after 5 runs", dies: 6, err: hung, wantRan: 8, wantError: true},
		{name: "dead from the start, limit 2", dies: 1, limit: 2, wantRan: 2, wantError: true},
		{name: "a failure now and then", every: 3, wantRan: 24},
		{name: "never stops with a limit below 0", dies: 1, limit: -1, wantRan: 24},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "results.jsonl")
			var n atomic.Int32
			f := &fakeRunner{answers: answers}
			r := RunnerFunc(func(ctx context.Context, j Job) (*Record, error) {
				i := n.Add(1)
				if tt.dies > 0 && i >= tt.dies || tt.every > 0 && i%tt.every == 0 {
					if tt.err != nil {
						return failed(j, "127.0.0.1:11434"), tt.err
					}
					return failed(j, "127.0.0.1:11434"), refused
				}
				return f.Run(ctx, j)
			})
			sum, err := Run(context.Background(), r, jobs, Options{Out: out, MaxConnFailures: tt.limit})
			var down *ServerDownError
			if tt.wantError != errors.As(err, &down) {
				t.Fatalf("error %v, want a dead server: %v", err, tt.wantError)
			}
			if sum.Ran != tt.wantRan {
				t.Errorf("%d runs, want %d (%+v)", sum.Ran, tt.wantRan, sum)
			}
			if !tt.wantError {
				return
			}
			if want := "the server at 127.0.0.1:11434 stopped answering: "; !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line starting %q", err, want)
			}
			// The next bench, with the server back, does the rest.
			sum, err = Run(context.Background(), &fakeRunner{answers: answers}, jobs, Options{Out: out})
			if err != nil || sum.Skipped+sum.Ran != 24 || sum.Skipped != int(tt.dies)-1 {
				t.Errorf("next bench: %+v, %v", sum, err)
			}
		})
	}
}

// TestRunLocksResults: one bench per results file; a second one on the
// same file says so and runs nothing.
func TestRunLocksResults(t *testing.T) {
	jobs := testMatrix(t)
	out := filepath.Join(t.TempDir(), "results.jsonl")
	started := make(chan struct{})
	release := make(chan struct{})
	var once atomic.Bool
	first := RunnerFunc(func(ctx context.Context, j Job) (*Record, error) {
		if once.CompareAndSwap(false, true) {
			close(started)
			<-release
		}
		return (&fakeRunner{answers: answers}).Run(ctx, j)
	})
	done := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), first, jobs[:2], Options{Out: out})
		done <- err
	}()
	<-started
	second := &fakeRunner{answers: answers}
	sum, err := Run(context.Background(), second, jobs, Options{Out: out})
	close(release)
	if err == nil || !strings.Contains(err.Error(), "results file "+out+" is in use by another bench") || sum.Ran != 0 || len(second.jobs(false)) != 0 {
		t.Errorf("second bench: %+v, %v", sum, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Once the first is over, the file is free.
	if sum, err := Run(context.Background(), second, jobs, Options{Out: out}); err != nil || sum.Skipped != 2 {
		t.Errorf("after the first: %+v, %v", sum, err)
	}
	// A results file in a folder that does not exist: an error, no folder.
	missing := filepath.Join(t.TempDir(), "no", "such", "r.jsonl")
	if _, err := Run(context.Background(), second, jobs, Options{Out: missing}); err == nil || !strings.Contains(err.Error(), "no such folder") {
		t.Errorf("missing folder: %v", err)
	}
}

// TestRunSummaryCountsEachRunOnce: an interrupted run or one that ended in
// an error is not scored as well ("10 runs: 7 passed, 3 failed, 1
// interrupted" had counted the interrupted one twice).
func TestRunSummaryCountsEachRunOnce(t *testing.T) {
	jobs := testMatrix(t)
	out := filepath.Join(t.TempDir(), "results.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int32
	r := RunnerFunc(func(rctx context.Context, j Job) (*Record, error) {
		switch n.Add(1) {
		case 3:
			return failed(j, ""), errors.New("boom")
		case 10:
			cancel()
			return (&fakeRunner{answers: answers, block: true}).Run(rctx, j)
		}
		return (&fakeRunner{answers: answers}).Run(rctx, j)
	})
	sum, err := Run(ctx, r, jobs, Options{Out: out})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if sum.Ran != 10 || sum.Interrupted != 1 || sum.Errors != 1 ||
		sum.Passed+sum.Failed+sum.Unchecked+sum.Errors+sum.Interrupted != sum.Ran {
		t.Errorf("summary %+v: each run counted once", sum)
	}
}

// failed is the record of a run that ended in an error on host.
func failed(j Job, host string) *Record {
	rec := &Record{Host: host}
	rec.Model, rec.CutReason = j.Model, "error"
	return rec
}
