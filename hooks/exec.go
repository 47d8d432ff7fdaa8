package hooks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ParseCommand splits a command line into words without a shell. Words are
// separated by white space; single quotes keep everything up to the next
// single quote; double quotes keep everything up to the next unescaped
// double quote, and inside them a backslash escapes only \ " $ and `; outside
// quotes a backslash escapes any character. No expansion of any kind is done.
// An empty command, an unterminated quote or a trailing backslash is an
// error.
func ParseCommand(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		inW   bool // a word has started (it may be empty: '')
	)
	// Every quote, escape and separator is ASCII, so the command is walked
	// byte by byte: bytes that are not valid UTF-8 (a file name may hold
	// them) pass through unchanged.
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			inW = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("parse command %q: unterminated single quote", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += 1 + j
		case c == '"':
			inW = true
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) && strings.IndexByte("\\\"$`", s[j+1]) >= 0 {
					j++
				}
				cur.WriteByte(s[j])
			}
			if j == len(s) {
				return nil, fmt.Errorf("parse command %q: unterminated double quote", s)
			}
			i = j
		case c == '\\':
			if i+1 == len(s) {
				return nil, fmt.Errorf("parse command %q: trailing backslash", s)
			}
			inW = true
			i++
			cur.WriteByte(s[i])
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inW {
				words = append(words, cur.String())
				cur.Reset()
				inW = false
			}
		default:
			inW = true
			cur.WriteByte(c)
		}
	}
	if inW {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, errors.New("parse command: empty command")
	}
	return words, nil
}

// ExecOptions configures an external hook.
type ExecOptions struct {
	// OnError receives the problem that made the hook drop out: a program
	// that exits or crashes, writes a line that is not a decision, stops
	// reading its input, or does not exit when closed. It is called at most
	// once, possibly from another goroutine. Nil ignores problems.
	OnError func(error)
	// Queue is how many events may wait for the program (default 4096).
	// A program that falls further behind, and has not exited a second later,
	// is considered stuck; events that do not fit meanwhile are dropped.
	Queue int
	// Stderr, if not nil, receives the program's standard error.
	Stderr io.Writer
}

// closeWait is how long Close waits for the program to exit after its input
// is closed, before it kills it.
const closeWait = 2 * time.Second

// maxDecisionLine bounds one line the program writes.
const maxDecisionLine = 1 << 20

// An Exec is an external hook: one long-running program, started without a
// shell, that reads events as JSON lines (Event's JSON form) on its standard
// input and may write decisions as JSON lines on its standard output at any
// time:
//
//	{"action":"cut","reason":"saw the answer"}
//	{"action":"abort","reason":"off topic"}
//	{"action":"continue"}
//
// A decision applies at the next event: OnEvent returns it as
// Decision{Action: Cut or Abort, Reason: ReasonHook, Detail: the program's
// reason}. Each decision replaces one not yet applied, so "continue"
// withdraws a pending cut. Blank lines are ignored.
//
// OnEvent never waits for the program. A program that exits, writes anything
// else, stops reading (more than Queue events waiting) or breaks its input
// pipe is reported once through ExecOptions.OnError and dropped: from then
// on OnEvent returns Continue at once.
type Exec struct {
	name    string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stdout  io.ReadCloser
	onError func(error)

	events    chan []byte
	quit      chan struct{} // closed by Close
	exited    chan struct{} // closed once the program has exited and its output is read
	pending   atomic.Pointer[Decision]
	dropped   atomic.Bool
	closing   atomic.Bool
	broken    atomic.Bool // a write failed; the writer reports it soon
	overflow  atomic.Bool // the queue was full once; stuck reports it soon
	errOnce   sync.Once
	closeOnce sync.Once
	ctx       context.Context
}

// NewExec starts argv[0] with the arguments argv[1:] (no shell is involved;
// see ParseCommand) as an external hook. Cancelling ctx kills the program.
// Close it when the run is over.
func NewExec(ctx context.Context, argv []string, opts ExecOptions) (*Exec, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("exec hook: empty command")
	}
	q := opts.Queue
	if q <= 0 {
		q = 4096
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stderr = opts.Stderr
	cmd.WaitDelay = closeWait
	// The program runs in a process group of its own, and the whole group
	// ends with the run: what the program started (sh -c 'sleep 300 &')
	// goes with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process) }
	e := &Exec{
		name:    argv[0],
		cmd:     cmd,
		onError: opts.OnError,
		events:  make(chan []byte, q),
		quit:    make(chan struct{}),
		exited:  make(chan struct{}),
		ctx:     ctx,
	}
	var err error
	if e.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("exec hook %s: %w", e.name, err)
	}
	if e.stdout, err = cmd.StdoutPipe(); err != nil {
		return nil, fmt.Errorf("exec hook %s: %w", e.name, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("exec hook %s: %w", e.name, err)
	}
	readDone := make(chan struct{})
	go e.write()
	go func() {
		defer close(readDone)
		e.read()
	}()
	go func() {
		<-readDone // Wait closes stdout, so read it all first
		err := cmd.Wait()
		close(e.exited)
		if e.closing.Load() || ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("exited")
		} else {
			err = fmt.Errorf("exited: %w", err)
		}
		e.fail(err)
	}()
	return e, nil
}

// OnEvent implements Hook.
func (e *Exec) OnEvent(_ context.Context, ev *Event) Decision {
	var d Decision
	if p := e.pending.Swap(nil); p != nil {
		d = *p
	}
	if e.dropped.Load() || e.closing.Load() {
		return d
	}
	line, err := eventLine(ev)
	if err != nil {
		e.fail(fmt.Errorf("encoding event: %w", err))
		return d
	}
	select {
	case e.events <- line:
	default:
		if !e.broken.Load() && e.overflow.CompareAndSwap(false, true) {
			go e.stuck()
		}
	}
	return d
}

// stuck reports a program that has stopped reading, unless it turns out to
// have exited: then the exit status tells why. A program that exits without
// reading its input looks stuck for a moment, more so on a loaded machine.
// Events that do not fit in the queue meanwhile are dropped.
func (e *Exec) stuck() {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-e.exited:
	case <-t.C:
		e.fail(fmt.Errorf("stuck: %d events waiting for it to read its input", cap(e.events)))
	}
}

// Close closes the program's input, waits up to 2 seconds for it to exit,
// then kills it; either way it then kills what is left of the program's
// process group, the processes the program started. It never hangs.
// Problems are reported through OnError; Close itself returns nil. It is
// safe to call more than once.
func (e *Exec) Close() error {
	e.closeOnce.Do(func() {
		e.closing.Store(true)
		close(e.quit)
		t := time.NewTimer(closeWait)
		defer t.Stop()
		select {
		case <-e.exited:
			_ = killGroup(e.cmd.Process) // children it left behind
			return
		case <-t.C:
		}
		e.fail(fmt.Errorf("did not exit within %v of its input closing; killed", closeWait))
		_ = killGroup(e.cmd.Process)
		_ = e.cmd.Process.Kill()
		_ = e.stdin.Close()
		_ = e.stdout.Close() // in case a child out of the group holds the pipe open
		<-e.exited
	})
	return nil
}

// killGroup kills the process group p leads (Setpgid makes the program's
// pid its group id). A group with no process left is no error.
func killGroup(p *os.Process) error {
	if p == nil || p.Pid <= 0 {
		return nil
	}
	err := syscall.Kill(-p.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

// fail reports err once and drops the hook.
func (e *Exec) fail(err error) {
	e.errOnce.Do(func() {
		e.dropped.Store(true)
		if e.onError != nil {
			e.onError(fmt.Errorf("exec hook %s: %w", e.name, err))
		}
	})
}

// write copies queued events to the program until Close, then flushes what
// is queued and closes the program's input.
func (e *Exec) write() {
	defer e.stdin.Close()
	for {
		select {
		case line := <-e.events:
			if !e.send(line) {
				return
			}
		case <-e.quit:
			for {
				select {
				case line := <-e.events:
					if !e.send(line) {
						return
					}
				default:
					return
				}
			}
		}
	}
}

func (e *Exec) send(line []byte) bool {
	if e.dropped.Load() {
		return true // keep draining, write nothing
	}
	if _, err := e.stdin.Write(line); err != nil {
		if e.closing.Load() || e.ctx.Err() != nil {
			return false
		}
		// If the program has exited, let the exit status tell why.
		e.broken.Store(true)
		t := time.NewTimer(500 * time.Millisecond)
		defer t.Stop()
		select {
		case <-e.exited:
		case <-t.C:
			e.fail(fmt.Errorf("writing events: %w", err))
		}
		return false
	}
	return true
}

// read turns the program's output lines into pending decisions.
func (e *Exec) read() {
	sc := bufio.NewScanner(e.stdout)
	sc.Buffer(make([]byte, 0, 4096), maxDecisionLine)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		d, err := parseDecision(line)
		if err != nil {
			e.fail(err)
			continue // keep reading so the program never blocks on its output
		}
		if e.dropped.Load() {
			continue
		}
		if d.Action == Continue {
			e.pending.Store(nil)
		} else {
			e.pending.Store(&d)
		}
	}
	if err := sc.Err(); err != nil && !e.closing.Load() {
		e.fail(fmt.Errorf("reading decisions: %w", err))
		_, _ = io.Copy(io.Discard, e.stdout)
	}
}

// parseDecision parses one decision line.
func parseDecision(line []byte) (Decision, error) {
	var msg struct {
		Action *string `json:"action"`
		Reason string  `json:"reason"`
	}
	if err := json.Unmarshal(line, &msg); err != nil || msg.Action == nil {
		return Decision{}, fmt.Errorf("not a decision line: %.80q", line)
	}
	switch strings.ToLower(*msg.Action) {
	case "continue":
		return Decision{}, nil
	case "cut":
		return Decision{Action: Cut, Reason: ReasonHook, Detail: msg.Reason}, nil
	case "abort":
		return Decision{Action: Abort, Reason: ReasonHook, Detail: msg.Reason}, nil
	}
	return Decision{}, fmt.Errorf("unknown action %q in %.80q", *msg.Action, line)
}

// eventLine returns ev's JSON form and a newline. A zero ElapsedMS is
// filled in from Elapsed.
func eventLine(ev *Event) ([]byte, error) {
	if ev.ElapsedMS == 0 && ev.Elapsed != 0 {
		c := *ev
		c.ElapsedMS = float64(ev.Elapsed) / float64(time.Millisecond)
		ev = &c
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
