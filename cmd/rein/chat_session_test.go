package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/runner"
)

// fakeTurns stands in for runOnce: it records each turn's request, stops
// a turn whose prompt is "runaway" only by Ctrl-C (delivered through the
// interrupts router, as a SIGINT would be), and answers the others.
type fakeTurns struct {
	it   *term.Interrupts
	reqs []runner.Request
}

func (f *fakeTurns) run(ctx context.Context, q *runner.Request) (*runner.Record, error) {
	f.reqs = append(f.reqs, *q)
	if q.Prompt == "runaway" {
		go f.it.Fire()
		select {
		case <-ctx.Done():
			return &runner.Record{Answer: "Partial", Ending: runner.Ending{CutReason: "interrupted"}}, errInterrupted
		case <-time.After(10 * time.Second):
			return nil, errors.New("Ctrl-C did not stop the turn")
		}
	}
	return &runner.Record{Answer: "Answer to " + q.Prompt}, nil
}

// TestChatSession drives the chat's loop with plain lines ("\x03" is Ctrl-C
// at the prompt) and fake turns: Ctrl-C stops a turn and keeps it, """
// makes one message of several lines, and the commands answer.
func TestChatSession(t *testing.T) {
	in := strings.Join([]string{
		"runaway", "\x03", `"""`, "line one", `line two"""`, `"""one line"""`,
		"/set max-steps 8", "/set verbose", "/set", "/set colour blue", "/help", "/? shortcuts", "/foo",
		"/clear", "  again  ", "/bye", "not read",
	}, "\n") + "\n"
	ios, _, errOut := testStreams(in)
	ios.InIsTerminal = true
	stopped := false
	ios.Interrupt = term.NewInterrupts(func() { stopped = true })
	f := &fakeTurns{it: ios.Interrupt}
	opts := &RunOptions{IO: ios, changed: map[string]bool{"loop": true}}
	req := &runner.Request{Model: "m", Think: budget.Ptr(true), Budgets: budget.Budgets{Loop: budget.Ptr(0)}}
	s := newChatSession(opts, nil, req, term.NewLinesInput(ios.In, ios.ErrOut))
	s.Run = f.run
	if err := s.Loop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if stopped {
		t.Error("Ctrl-C in a turn stopped the command")
	}
	type turn struct {
		prompt   string
		history  []string
		maxSteps int
	}
	want := []turn{
		{"runaway", nil, 0},
		{"line one\nline two", []string{"user: runaway", "assistant: Partial"}, 0},
		{"one line", []string{"user: runaway", "assistant: Partial", "user: line one\nline two", "assistant: Answer to line one\nline two"}, 0},
		{"again", nil, 8},
	}
	var got []turn
	for _, q := range f.reqs {
		var h []string
		for _, m := range q.Messages {
			h = append(h, m.Role+": "+m.Content)
		}
		got = append(got, turn{q.Prompt, h, q.Budgets.Resolve().MaxSteps})
	}
	if len(got) != len(want) {
		t.Fatalf("turns %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].prompt != want[i].prompt || !slices.Equal(got[i].history, want[i].history) || got[i].maxSteps != want[i].maxSteps {
			t.Errorf("turn %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if !opts.Verbose {
		t.Error("/set verbose did not turn --verbose on")
	}
	if !is(req.Budgets.MaxSteps, 8) || s.SetBy["max-steps"] != "/set" || s.SetBy["loop"] != "flag" {
		t.Errorf("max-steps %v, set by %q", req.Budgets.MaxSteps, s.SetBy)
	}
	for _, want := range []string{
		"Use Ctrl + d or /bye to exit.", "Set max-steps to 8.", "Set 'verbose' mode.", "Usage: /set KEY VALUE",
		`unknown key "colour"`, "/show            Show the model", "Ctrl + c            Stop the model's turn",
		"unknown command /foo: type /? for help", "Cleared session context.", `Use """ to begin a multi-line message.`,
	} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut.String(), "not read") {
		t.Error("the chat read on after /bye")
	}
}

// TestChatEOF: Ctrl-D (the end of the input) leaves the chat, a message
// typed half-way included.
func TestChatEOF(t *testing.T) {
	for _, in := range []string{"", "/set max-steps 2\n", "\"\"\"half a\nmessage\n"} {
		ios, _, _ := testStreams(in)
		f := &fakeTurns{}
		s := newChatSession(&RunOptions{IO: ios}, nil, &runner.Request{Model: "m"}, term.NewLinesInput(ios.In, ios.ErrOut))
		s.Run = f.run
		if err := s.Loop(context.Background()); err != nil || len(f.reqs) != 0 {
			t.Errorf("input %q: error %v, %d turns", in, err, len(f.reqs))
		}
	}
}

// TestInterruptsHold: Ctrl-C stops the command, unless it is held.
func TestInterruptsHold(t *testing.T) {
	var cancelled, held int
	it := term.NewInterrupts(func() { cancelled++ })
	it.Fire()
	release := it.Hold(func() { held++ })
	it.Fire()
	it.Fire()
	release()
	it.Fire()
	if cancelled != 2 || held != 2 {
		t.Errorf("cancelled %d, held %d; want 2 and 2", cancelled, held)
	}
	var none *term.Interrupts
	none.Hold(func() {})() // a nil router holds nothing and does not panic
}

// showBackend answers /api/show for TestChatShow.
type showBackend struct{ runner.Backend }

func (showBackend) Show(context.Context, *api.ShowRequest) (*api.ShowResponse, error) {
	return &api.ShowResponse{Details: api.ModelDetails{Family: "qwen3"}}, nil
}

// TestChatShow: /show gives the budgets in force and where each comes
// from: a flag, /set, the profile or the default.
func TestChatShow(t *testing.T) {
	ios, _, errOut := testStreams("")
	opts := &RunOptions{
		IO: ios, Model: "qwen3:4b", Think: "true", Budgets: budget.Budgets{Loop: budget.Ptr(0)},
		ConsensusSamples: 1, OnLanguageSwitch: "warn", changed: map[string]bool{"loop": true},
	}
	req, err := opts.request()
	if err != nil {
		t.Fatal(err)
	}
	s := newChatSession(opts, showBackend{}, req, term.NewLinesInput(ios.In, ios.ErrOut))
	s.Profiles = func() ([]models.Profile, error) {
		ps := models.Builtins()
		for i := range ps {
			if ps[i].Name == "qwen3" {
				ps[i].Budgets = budget.Budgets{MaxThinkTokens: budget.Ptr(500), MaxSteps: budget.Ptr(12)}
			}
		}
		return ps, nil
	}
	s.Command(context.Background(), "/set max-steps 2")
	s.Command(context.Background(), "/set temperature 0.3")
	errOut.Reset()
	s.Command(context.Background(), "/show")
	checkGolden(t, "chat_show.golden", errOut.String())
}

// TestChatHistoryFile: the line editor's history lives in rein's state
// folder, and the file it had is read back; ollama's is never touched.
func TestChatHistoryFile(t *testing.T) {
	home, state := t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_STATE_HOME", state)
	t.Setenv("OLLAMA_NOHISTORY", "")
	path := term.ChatHistoryPath()
	if want := filepath.Join(state, "rein", term.ChatHistoryFileName); path != want {
		t.Fatalf("history in %s, want %s", path, want)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("first\n\nsecond\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := term.LoadChatHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	h.Add("third")
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "first\nsecond\nthird\n" {
		t.Errorf("history file %q (%v)", b, err)
	}
	if h.Prev() != "third" || h.Prev() != "second" {
		t.Error("history does not go back through the lines")
	}
	if _, err := os.Stat(filepath.Join(home, ".ollama")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("~/.ollama was touched: %v", err)
	}
	t.Setenv("OLLAMA_NOHISTORY", "1")
	if p := term.ChatHistoryPath(); p != "" {
		t.Errorf("OLLAMA_NOHISTORY: history in %q, want none", p)
	}
	none, err := term.LoadChatHistory("")
	if err != nil {
		t.Fatal(err)
	}
	none.Add("kept in memory")
	if none.Size() != 1 {
		t.Error("a chat without a history file keeps no lines")
	}
}

// TestIsTerminal: /dev/null is a character device, not a terminal.
func TestIsTerminal(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	if term.IsTerminal(f) {
		t.Errorf("%s taken for a terminal", os.DevNull)
	}
}
