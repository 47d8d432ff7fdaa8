package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/internal/golden"
	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/models/scripted"
)

// srv is the real ollama server the command tests run against, started
// with OLLAMA_DEBUG=1 so that its log shows the KV-cache reuse.
var srv *ollamatest.Server

func TestMain(m *testing.M) {
	// The test binary doubles as an external hook program.
	if word := os.Getenv("REIN_TEST_HOOK_CUT_ON"); word != "" {
		hookProgram(word, "cut")
		return
	}
	if word := os.Getenv("REIN_TEST_HOOK_ABORT_ON"); word != "" {
		hookProgram(word, "abort")
		return
	}
	// The commands read the user's profile file: the tests get an empty
	// configuration folder of their own.
	cfg, err := os.MkdirTemp("", "rein-config-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("REIN_CONFIG_DIR", cfg)
	// And a state folder of their own: the context sizes the runs
	// remember (runner.ContextState) stay out of the user's.
	state := filepath.Join(cfg, "state")
	os.Setenv("XDG_STATE_HOME", state)
	code := ollamatest.RunMain(m, &srv, ollamatest.Options{Debug: true})
	os.RemoveAll(cfg)
	os.Exit(code)
}

// hookProgram reads events as JSON lines and asks for action (cut or
// abort) when a token holds word, with a reason of its own.
func hookProgram(word, action string) {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		var ev struct {
			Event string `json:"event"`
			Text  string `json:"text"`
		}
		if json.Unmarshal(in.Bytes(), &ev) == nil && ev.Event == "token" && strings.Contains(ev.Text, word) {
			fmt.Printf(`{"action":%q,"reason":"saw %s"}`+"\n", action, word)
		}
	}
}

// Scripted models for the command tests, created once per server.
var testModels = map[string]scripted.Spec{
	// A runaway reasoner: three steps that repeat forever.
	"t/runaway": {Family: "qwen3", Script: scripted.Script{
		Thinking: "\nThe user asks how many r's appear in strawberry.\n\nLet me count each letter one by one.\n\nWait, I should re-read what was asked.\n\n",
		Loop:     true, Answer: "\n\nThere are three r's.",
	}},
	// Closes its own thinking after three steps; "Wait" makes it think on.
	"t/closer": {Family: "qwen3", Script: scripted.Script{
		Thinking: "\nWe need 17 times 3.\n\nSeventeen times three is fifty-one.\n\nDouble-check: 51 divided by 3 gives 17.\n\n",
		Answer:   "\n\n17 × 3 = 51.",
	}, Continuations: []scripted.Continuation{{After: "Wait", Thinking: ", let me verify once more.\n\nYes, that holds.\n\n"}}},
	"t/magistral":   {Family: "magistral", Script: scripted.Script{Thinking: "\nLe client demande la capitale.\n\nParis convient.\n\n", Answer: "\n\nParis."}},
	"t/think-tags":  {Family: "magistral-think", Script: scripted.Script{Thinking: "First idea here.\n\nSecond idea there.\n\nThird one now.\n\n", Loop: true, Answer: "Forty-two."}},
	"t/deepseek":    {Family: "deepseek-r1", Script: scripted.Script{Thinking: "\nOkay, so the user wants a sum.\n\nTwo plus two makes four.\n\n", Answer: "\n\n**4**"}},
	"t/russian":     {Family: "qwen3", Script: scripted.Script{Thinking: "\nСначала сложим два и два.\n\nПотом проверим сумму.\n\n", Answer: "\n\nОтвет: 4."}},
	"t/chinese":     {Family: "qwen3", Script: scripted.Script{Thinking: "\n先把二和二加起来。\n\n然后检查结果。\n\n", Answer: "\n\n答案是四。"}},
	"t/no-thinking": {Family: "plain", Script: scripted.Script{Answer: "Just the answer."}},
}

var (
	modelsOnce sync.Once
	modelsErr  error
	built      = map[string]*scripted.Model{}
)

// needModels returns the server with the test models created.
func needModels(t testing.TB) *ollamatest.Server {
	t.Helper()
	s := ollamatest.Need(t, srv)
	modelsOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		dir, _ := os.MkdirTemp("", "rein-models-*")
		defer os.RemoveAll(dir)
		for name, spec := range testModels {
			m, err := scripted.Build(spec)
			if err != nil {
				modelsErr = fmt.Errorf("%s: %w", name, err)
				return
			}
			if err := scripted.Create(ctx, s.Client, name, m, dir); err != nil {
				modelsErr = err
				return
			}
			built[name] = m
		}
	})
	if modelsErr != nil {
		t.Fatal(modelsErr)
	}
	return s
}

// testStreams returns streams over buffers, as a non-terminal.
func testStreams(stdin string) (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}, &out, &errOut
}

// clientFor returns a client factory for a server.
func clientFor(s *ollamatest.Server) func() (*api.Client, error) {
	return func() (*api.Client, error) { return s.Client, nil }
}

func createModelOn(ctx context.Context, s *ollamatest.Server, name string, m *scripted.Model) error {
	return scripted.Create(ctx, s.Client, name, m, "")
}

// checkGolden compares got with testdata/NAME (golden.Check).
func checkGolden(t *testing.T, name, got string) { golden.Check(t, name, got) }
