package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/rein-dev/rein/internal/term"
)

// Waits of the terminal tests: a turn of a scripted model takes well under
// a second, but the machine running the tests may be busy.
const (
	ptyTurnWait    = 90 * time.Second
	ptyCommandWait = 20 * time.Second
)

// TestChatTerminal builds rein and runs it as a user would: `rein run
// MODEL` with a pseudo-terminal on stdin opens the chat, and with
// /dev/null on stdin it is the usage error it always was.
//
//	REIN_OLLAMA_BIN=... go test ./cmd/rein -run ChatTerminal -v
func TestChatTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds rein: skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "rein")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	t.Run("DevNull", func(t *testing.T) { testChatDevNull(t, bin) })
	t.Run("PTY", func(t *testing.T) { testChatPTY(t, bin) })
	t.Run("RunInterrupt", func(t *testing.T) { testRunInterrupt(t, bin) })
}

// testChatDevNull: `rein run MODEL < /dev/null` is no chat (the old test
// for a character device took /dev/null for a terminal) but the usage
// error "empty prompt": exit 2, one line on stderr, nothing on stdout.
func testChatDevNull(t *testing.T, bin string) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Skip(err)
	}
	defer null.Close()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "run", "t/runaway")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, &stdout, &stderr
	cmd.Env = append(os.Environ(), "OLLAMA_HOST=127.0.0.1:1", "HOME="+t.TempDir(), "XDG_STATE_HOME="+t.TempDir())
	cmd.WaitDelay = 5 * time.Second
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(ptyCommandWait):
		cmd.Process.Kill()
		t.Fatalf("rein run < %s did not exit: it waits for input it will never get", os.DevNull)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitUsage {
		t.Errorf("exit: %v, want status %d", err, exitUsage)
	}
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "rein: empty prompt") {
		t.Errorf("stderr %q, want one line: rein: empty prompt…", stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q, want nothing", stdout.String())
	}
}

// testChatPTY drives the chat in a pseudo-terminal against the test
// server: Ctrl-C stops a runaway thought and the prompt comes back, ↑
// recalls a line, the next turn carries the first, """ makes one message of
// two lines, /help and /show answer, and Ctrl-D leaves with exit 0.
func testChatPTY(t *testing.T, bin string) {
	s := needModels(t)
	dir := t.TempDir()
	home, state, log := filepath.Join(dir, "home"), filepath.Join(dir, "state"), filepath.Join(dir, "runs.jsonl")
	for _, d := range []string{home, state} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	c := startPTY(t, bin, []string{"OLLAMA_HOST=" + s.Host, "HOME=" + home, "XDG_STATE_HOME=" + state, "NO_COLOR=1", "TERM=xterm"},
		"run", "t/runaway", "--loop", "0", "--log", log)
	const question = "How many r's are in strawberry?"

	c.expect(">>> ", ptyCommandWait)
	c.send(question + "\r")
	c.expect("Let me count each letter", ptyTurnWait) // it thinks, and would forever (--loop 0)
	c.send("\x03")
	c.expect(">>> ", ptyTurnWait)

	c.send("/set max-steps 2\r")
	c.expect("Set max-steps to 2.", ptyCommandWait)
	c.expect(">>> ", ptyCommandWait)
	c.send("\x1b[A\x1b[A") // ↑ ↑: the question again
	c.expect(question, ptyCommandWait)
	c.send("\r")
	c.expect("There are three r's.", ptyTurnWait)
	c.expect(">>> ", ptyCommandWait)

	c.send("\x03") // at an empty prompt
	c.expect("Use Ctrl + d or /bye to exit.", ptyCommandWait)
	c.expect(">>> ", ptyCommandWait)
	c.send("half typed\x03") // drops the line, sends nothing
	c.expect("Use Ctrl + d or /bye to exit.", ptyCommandWait)
	c.expect(">>> ", ptyCommandWait)
	c.send("/show\r")
	c.expectRe(`max-steps +2 +/set`, ptyCommandWait)
	c.expectRe(`loop +off +flag`, ptyCommandWait)
	c.expectRe(`conversation +2 turns`, ptyCommandWait)
	c.send("/help\r")
	for _, cmd := range []string{"/set", "/show", "/clear", "/bye", "/?, /help"} {
		c.expect(cmd, ptyCommandWait)
	}
	c.expect(">>> ", ptyCommandWait)

	c.send(`"""Count the r's` + "\r")
	c.expect("... ", ptyCommandWait)
	c.send(`in strawberry."""` + "\r")
	c.expect("There are three r's.", ptyTurnWait)
	c.expect(">>> ", ptyCommandWait)
	c.send("\x04") // Ctrl-D
	if err := c.wait(ptyCommandWait); err != nil {
		t.Fatalf("after Ctrl-D: %v\n%s", err, c.tail())
	}

	recs := readLog(t, log)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3 (one a turn)\n%s", len(recs), c.tail())
	}
	for i, want := range []struct{ prompt, cut string }{
		{question, "interrupted"}, {question, "steps"}, {"Count the r's\nin strawberry.", "steps"},
	} {
		if str(recs[i], "prompt") != want.prompt || str(recs[i], "cut_reason") != want.cut {
			t.Errorf("turn %d: prompt %q cut %q, want %q and %q", i, str(recs[i], "prompt"), str(recs[i], "cut_reason"), want.prompt, want.cut)
		}
	}
	// The second turn carries the first: its prompt holds the first
	// question too.
	if p0, p1 := metric(recs[0], "prompt_tokens"), metric(recs[1], "prompt_tokens"); p1 < p0+10 {
		t.Errorf("second turn's prompt has %v tokens, the first's %v: the conversation was not carried", p1, p0)
	}
	if b, err := os.ReadFile(filepath.Join(state, "rein", term.ChatHistoryFileName)); err != nil || !strings.Contains(string(b), question) {
		t.Errorf("chat history in rein's state folder: %q (%v)", b, err)
	}
	if _, err := os.Stat(filepath.Join(home, ".ollama")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the chat touched ~/.ollama: %v", err)
	}
}

// testRunInterrupt: outside the chat, Ctrl-C stops rein as it always did:
// exit 130, the run logged as interrupted.
func testRunInterrupt(t *testing.T, bin string) {
	s := needModels(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "runs.jsonl")
	c := startPTY(t, bin, []string{"OLLAMA_HOST=" + s.Host, "HOME=" + dir, "XDG_STATE_HOME=" + dir, "NO_COLOR=1"},
		"run", "t/runaway", "How many r's?", "--loop", "0", "--log", log)
	c.expect("Let me count each letter", ptyTurnWait)
	c.send("\x03")
	err := c.wait(ptyTurnWait)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupt {
		t.Fatalf("exit: %v, want status %d\n%s", err, exitInterrupt, c.tail())
	}
	recs := readLog(t, log)
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	if got := str(recs[0], "cut_reason"); got != "interrupted" {
		t.Errorf("cut reason %q, want interrupted", got)
	}
}

// ptyChat is a process on a pseudo-terminal, with what it wrote so far.
type ptyChat struct {
	t    *testing.T
	tty  *os.File
	cmd  *exec.Cmd
	done chan struct{}
	err  error // cmd.Wait's, once done is closed

	mu   sync.Mutex
	out  []byte
	seen int // expect has matched up to here
}

func startPTY(t *testing.T, bin string, env []string, args ...string) *ptyChat {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 200})
	if err != nil {
		t.Fatal(err)
	}
	c := &ptyChat{t: t, tty: tty, cmd: cmd, done: make(chan struct{})}
	read := make(chan struct{})
	go func() {
		defer close(read)
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			c.mu.Lock()
			c.out = append(c.out, buf[:n]...)
			c.mu.Unlock()
			if err != nil {
				return // EIO once the process is gone
			}
		}
	}()
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			cmd.Process.Kill()
			<-c.done
		}
		tty.Close()
		<-read
	})
	return c
}

func (c *ptyChat) send(s string) {
	c.t.Helper()
	if _, err := c.tty.Write([]byte(s)); err != nil {
		c.t.Fatalf("write %q: %v", s, err)
	}
}

// expect waits until the output after the last match holds s.
func (c *ptyChat) expect(s string, wait time.Duration) {
	c.t.Helper()
	c.expectRe(regexp.QuoteMeta(s), wait)
}

// expectRe waits until the output after the last match matches re.
func (c *ptyChat) expectRe(re string, wait time.Duration) {
	c.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(wait)
	for !c.match(rx) {
		select {
		case <-c.done:
			time.Sleep(100 * time.Millisecond) // the last output
			if c.match(rx) {
				return
			}
			c.t.Fatalf("rein exited (%v) before writing %q:\n%s", c.err, re, c.tail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no %q after %v:\n%s", re, wait, c.tail())
		}
	}
}

// match reports whether the output after the last match matches rx, and
// moves past the match.
func (c *ptyChat) match(rx *regexp.Regexp) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	loc := rx.FindIndex(c.out[c.seen:])
	if loc == nil {
		return false
	}
	c.seen += loc[1]
	return true
}

// wait waits for the process to exit.
func (c *ptyChat) wait(d time.Duration) error {
	select {
	case <-c.done:
		return c.err
	case <-time.After(d):
		return errors.New("still running")
	}
}

// tail is the end of the output, for failures.
func (c *ptyChat) tail() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.out
	if len(out) > 3000 {
		out = out[len(out)-3000:]
	}
	return strings.ToValidUTF8(string(out), "?")
}
