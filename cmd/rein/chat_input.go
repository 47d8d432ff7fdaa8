package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/emirpasic/gods/v2/lists/arraylist"
	"github.com/ollama/ollama/envconfig"
	"github.com/ollama/ollama/readline"
	"golang.org/x/term"
)

// chatInput is where the chat reads its lines.
type chatInput interface {
	// Readline reads one line: readline.ErrInterrupt on Ctrl-C, io.EOF on
	// Ctrl-D or at the end of the input.
	Readline() (string, error)
	// SetContinue makes the next prompt the continuation prompt ("... ")
	// of a multi-line message, or the plain one again.
	SetContinue(on bool)
	// Pasting reports whether the line came from a bracketed paste that
	// goes on.
	Pasting() bool
	// Close restores the terminal.
	Close()
}

// The chat's prompts, those of `ollama run`.
const (
	chatPrompt          = ">>> "
	chatAltPrompt       = "... "
	chatPlaceholder     = "Send a message (/? for help)"
	chatAltPlaceholder  = `Press Enter to send`
	chatHistoryFileName = "chat_history"
	chatHistoryLimit    = 100
)

// openChatInput returns ollama's line editor (line editing, history,
// bracketed paste) when ios.In is the process's terminal, and plain lines
// read from ios.In otherwise (tests).
func openChatInput(ios *IOStreams) (chatInput, error) {
	if f, ok := ios.In.(*os.File); ok && f == os.Stdin && term.IsTerminal(int(f.Fd())) {
		return newTerminalInput(ios.Out, chatHistoryPath())
	}
	return newLinesInput(ios.In, ios.ErrOut), nil
}

// chatHistoryPath is where the chat keeps the lines typed at its prompt:
// rein's state folder, never ollama's history; "" (no file) when there is
// no state folder or OLLAMA_NOHISTORY is set.
func chatHistoryPath() string {
	if envconfig.NoHistory() {
		return ""
	}
	dir := stateDir()
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, chatHistoryFileName)
}

// terminalInput is ollama's readline on stdin, as `ollama run` uses it
// (it writes the prompt and the line to stdout itself).
type terminalInput struct {
	rl  *readline.Instance
	out io.Writer
}

// newTerminalInput opens the line editor with its history in path ("":
// history for this chat only, no file). readline.New is not used: its
// history reads and writes ~/.ollama/history.
func newTerminalInput(out io.Writer, path string) (*terminalInput, error) {
	t, err := readline.NewTerminal()
	if err != nil {
		return nil, err
	}
	h, err := loadChatHistory(path)
	if err != nil {
		return nil, err
	}
	rl := &readline.Instance{
		Prompt: &readline.Prompt{
			Prompt: chatPrompt, AltPrompt: chatAltPrompt,
			Placeholder: chatPlaceholder, AltPlaceholder: chatAltPlaceholder,
		},
		Terminal: t,
		History:  h,
	}
	fmt.Fprint(out, readline.StartBracketedPaste)
	return &terminalInput{rl: rl, out: out}, nil
}

func (t *terminalInput) Readline() (string, error) { return t.rl.Readline() }
func (t *terminalInput) SetContinue(on bool)       { t.rl.Prompt.UseAlt = on }
func (t *terminalInput) Pasting() bool             { return t.rl.Pasting }
func (t *terminalInput) Close()                    { fmt.Fprint(t.out, readline.EndBracketedPaste) }

// loadChatHistory returns a readline history kept in path, with the lines
// already there; with path "" it keeps nothing on disk.
func loadChatHistory(path string) (*readline.History, error) {
	h := &readline.History{Buf: arraylist.New[string](), Limit: chatHistoryLimit, Filename: path}
	if path == "" {
		return h, nil // Enabled false: Save writes nothing
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("chat history: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("chat history: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			h.Add(line) // Autosave is still off: no write
		}
	}
	h.Autosave, h.Enabled = true, true
	return h, nil
}

// linesInput reads plain lines, with the prompt on w: the chat on a reader
// that is not a terminal, as the tests give it.
type linesInput struct {
	in  *bufio.Scanner
	w   io.Writer
	alt bool
}

func newLinesInput(r io.Reader, w io.Writer) *linesInput {
	in := bufio.NewScanner(r)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	return &linesInput{in: in, w: w}
}

func (l *linesInput) Readline() (string, error) {
	if l.alt {
		fmt.Fprint(l.w, chatAltPrompt)
	} else {
		fmt.Fprint(l.w, chatPrompt)
	}
	if !l.in.Scan() {
		fmt.Fprintln(l.w)
		if err := l.in.Err(); err != nil {
			return "", err
		}
		return "", io.EOF
	}
	line := l.in.Text()
	if line == "\x03" {
		return "", readline.ErrInterrupt // Ctrl-C, for tests
	}
	return line, nil
}

func (l *linesInput) SetContinue(on bool) { l.alt = on }
func (l *linesInput) Pasting() bool       { return false }
func (l *linesInput) Close()              {}
