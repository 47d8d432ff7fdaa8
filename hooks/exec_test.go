package hooks

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"hook", []string{"hook"}, ""},
		{"  python3   hook.py\t--k 3 ", []string{"python3", "hook.py", "--k", "3"}, ""},
		{`a 'b c' "d e"`, []string{"a", "b c", "d e"}, ""},
		{`a'b'"c"d`, []string{"abcd"}, ""},
		{`'' ""`, []string{"", ""}, ""},
		{`a\ b c\\d \'x`, []string{"a b", `c\d`, "'x"}, ""},
		{`"q\"uote \\ \$HOME \n"`, []string{`q"uote \ $HOME \n`}, ""},
		{`'no \escape "here"'`, []string{`no \escape "here"`}, ""},
		{`$HOME ~ *.go ; | &&`, []string{"$HOME", "~", "*.go", ";", "|", "&&"}, ""},
		{"héllo 'wörld'", []string{"héllo", "wörld"}, ""},
		{`a 'b`, nil, "unterminated single quote"},
		{`a "b\"`, nil, "unterminated double quote"},
		{`a\`, nil, "trailing backslash"},
		{"", nil, "empty"},
		{"   ", nil, "empty"},
	}
	for _, tt := range tests {
		got, err := ParseCommand(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseCommand(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseCommand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// errs collects OnError calls.
type errs struct {
	mu   sync.Mutex
	list []error
}

func (e *errs) add(err error) { e.mu.Lock(); e.list = append(e.list, err); e.mu.Unlock() }

func (e *errs) get() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.list...)
}

// waitErr waits up to 10 s for an error to be reported.
func (e *errs) wait(t *testing.T) error {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if l := e.get(); len(l) > 0 {
			return l[0]
		}
	}
	t.Fatal("no error reported")
	return nil
}

func startHelper(t *testing.T, mode, arg string, opts ExecOptions) (*Exec, *errs) {
	t.Helper()
	var got errs
	opts.OnError = got.add
	e, err := NewExec(context.Background(), helperArgv(t, mode, arg), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, &got
}

// timed runs fn and fails if it takes longer than d.
func timed(t *testing.T, what string, d time.Duration, fn func()) {
	t.Helper()
	start := time.Now()
	fn()
	if el := time.Since(start); el > d {
		t.Errorf("%s took %v, want <= %v", what, el, d)
	}
}

func TestExecCut(t *testing.T) {
	e, got := startHelper(t, "cut", "stop", ExecOptions{})
	ctx := context.Background()
	ev := &Event{Kind: KindToken, Phase: PhaseThinking, RunID: "r1"}
	words := []string{"one", "two", "stop"}
	for i, w := range words {
		ev.Seq, ev.Text = int64(i+1), w
		if d := e.OnEvent(ctx, ev); d.Action != Continue {
			t.Fatalf("event %d: cut before the word: %+v", i, d)
		}
	}
	// The decision applies at a later event; keep streaming until it does.
	var d Decision
	for deadline := time.Now().Add(10 * time.Second); d.Action == Continue && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		ev.Seq++
		ev.Text = "more"
		d = e.OnEvent(ctx, ev)
	}
	want := Decision{Action: Cut, Reason: ReasonHook, Detail: "saw stop at seq 3"}
	if d != want {
		t.Fatalf("got %+v, want %+v", d, want)
	}
	// Applied once.
	if d := e.OnEvent(ctx, ev); d.Action != Continue {
		t.Errorf("decision applied twice: %+v", d)
	}
	timed(t, "Close", closeWait/2, func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	if l := got.get(); len(l) != 0 {
		t.Errorf("errors from a well-behaved hook: %v", l)
	}
	if d := e.OnEvent(ctx, ev); d.Action != Continue {
		t.Errorf("after Close: %+v", d)
	}
}

func TestExecAbortAndStderr(t *testing.T) {
	var stderr syncBuffer
	e, got := startHelper(t, "abort", "bad topic", ExecOptions{Stderr: &stderr})
	ctx := context.Background()
	var d Decision
	for deadline := time.Now().Add(10 * time.Second); d.Action == Continue && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		d = e.OnEvent(ctx, &Event{Kind: KindRunStart})
	}
	if want := (Decision{Action: Abort, Reason: ReasonHook, Detail: "bad topic"}); d != want {
		t.Fatalf("got %+v, want %+v", d, want)
	}
	e.Close()
	if !strings.Contains(stderr.String(), "aborting: bad topic") {
		t.Errorf("stderr not forwarded: %q", stderr.String())
	}
	if l := got.get(); len(l) != 0 {
		t.Errorf("errors: %v", l)
	}
}

// TestExecBadHooks checks that a misbehaving program is reported once,
// naming the program, and that OnEvent never blocks on it.
func TestExecBadHooks(t *testing.T) {
	tests := []struct {
		mode, arg string
		queue     int
		wantErr   string
	}{
		{"garbage", "", 0, "not a decision line"},
		{"exit", "3", 0, "exit status 3"},
		{"exit", "0", 0, "exited"},
		// Its queue fills before it exits: the exit, not "stuck", is the news.
		{"exit-late", "200ms", 16, "exited"},
		{"hang", "", 16, "stuck"},
	}
	for _, tt := range tests {
		t.Run(tt.mode+tt.arg, func(t *testing.T) {
			e, got := startHelper(t, tt.mode, tt.arg, ExecOptions{Queue: tt.queue})
			ctx := context.Background()
			ev := &Event{Kind: KindToken, Phase: PhaseThinking, Text: strings.Repeat("token ", 200)}
			// 20k events of 1.2 KB: far more than a pipe buffer holds.
			timed(t, "20000 OnEvent calls", 5*time.Second, func() {
				for i := range 20000 {
					ev.Seq = int64(i)
					if d := e.OnEvent(ctx, ev); d.Action != Continue {
						t.Fatalf("event %d: %+v", i, d)
					}
				}
			})
			err := got.wait(t)
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), os.Args[0]) {
				t.Errorf("error %q does not say %q and name the program", err, tt.wantErr)
			}
			// Dropped: further calls are cheap and report nothing new.
			timed(t, "OnEvent after drop", time.Second, func() {
				for range 100000 {
					e.OnEvent(ctx, ev)
				}
			})
			timed(t, "Close", closeWait+3*time.Second, func() { e.Close() })
			if l := got.get(); len(l) != 1 {
				t.Errorf("reported %d times: %v", len(l), l)
			}
		})
	}
}

func TestExecStartErrors(t *testing.T) {
	if _, err := NewExec(context.Background(), nil, ExecOptions{}); err == nil {
		t.Error("empty argv: no error")
	}
	_, err := NewExec(context.Background(), []string{"/nonexistent/rein-hook"}, ExecOptions{})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/rein-hook") {
		t.Errorf("missing program: %v", err)
	}
}

// TestExecContextCancel checks that cancelling the context kills the
// program without an error report, and Close still returns.
func TestExecContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var got errs
	e, err := NewExec(ctx, helperArgv(t, "hang", ""), ExecOptions{OnError: got.add})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-e.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("program not killed on cancel")
	}
	timed(t, "Close", time.Second, func() { e.Close() })
	if l := got.get(); len(l) != 0 {
		t.Errorf("errors after cancel: %v", l)
	}
}

func TestEventJSON(t *testing.T) {
	ev := &Event{Kind: KindStep, RunID: "r", Seq: 4, Elapsed: 1500 * time.Microsecond, Phase: PhaseThinking,
		Text: "Step one.", ThinkingTokens: 7, Steps: 1, Step: 1}
	line, err := eventLine(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"event":"step","run_id":"r","seq":4,"elapsed_ms":1.5,"phase":"thinking","text":"Step one.","thinking_tokens":7,"answer_tokens":0,"steps":1,"step":1}` + "\n"
	if string(line) != want {
		t.Errorf("got  %s\nwant %s", line, want)
	}
	if ev.ElapsedMS != 0 {
		t.Error("eventLine changed the event")
	}
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine exec starts.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
