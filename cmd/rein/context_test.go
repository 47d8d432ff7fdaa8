package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/models/scripted"
)

// The context policy on the real server: how many times Ollama loads the
// model for a sequence of runs. A load starts a runner process for the
// model: one "starting runner" line whose command names a model (the
// runners started to discover GPUs name none). ("llama runner started"
// comes twice per load in v0.17.4's log.)

const loadLine = "starting runner"

func countLoads(s *ollamatest.Server) int {
	n := 0
	for _, l := range strings.Split(s.Log(), "\n") {
		if strings.Contains(l, loadLine) && strings.Contains(l, " --model ") {
			n++
		}
	}
	return n
}

// loadLog returns the lines of the server's log about loads, for a test
// that failed.
func loadLog(s *ollamatest.Server) string {
	var out []string
	for _, l := range strings.Split(s.Log(), "\n") {
		for _, k := range []string{loadLine, "reloading", "new model will fit", "loading first model", "unload"} {
			if strings.Contains(l, k) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// ctxModel creates a scripted model for one test: a reasoner that closes
// its thinking after three steps, with the training context given.
func ctxModel(t *testing.T, s *ollamatest.Server, name string, trainCtx int, loop bool) *scripted.Model {
	t.Helper()
	spec := scripted.Spec{Family: "qwen3", ContextLength: trainCtx, Script: scripted.Script{
		Thinking: "\nWe need 17 times 3.\n\nSeventeen times three is fifty-one.\n\nDouble-check: 51 divided by 3 gives 17.\n\n",
		Answer:   "\n\n17 × 3 = 51.", Loop: loop,
	}}
	m, err := scripted.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := createModelOn(ctx, s, name, m); err != nil {
		t.Fatal(err)
	}
	return m
}

// promptOf returns a prompt of n bytes.
func promptOf(n int) string {
	return strings.Repeat("seventeen times three ", n/22+1)[:n]
}

// budgetsOf returns a record's budgets.
func budgetsOf(rec map[string]any) map[string]any { b, _ := rec["budgets"].(map[string]any); return b }

// TestContextLoads: ten runs with prompts from 10 to 3,000 bytes and the
// same budgets share one context, so the model loads once. (Before the
// context policy, num_ctx was the prompt plus the 32,768-token cap rounded
// to 1 KiB, and nearly every run loaded the model again.)
func TestContextLoads(t *testing.T) {
	s := needModels(t)
	const name = "t/ctx-loads"
	ctxModel(t, s, name, 65536, false)
	before := countLoads(s)
	var sizes []any
	for _, n := range []int{10, 1500, 11, 3000, 300, 2200, 50, 2900, 700, 1000} {
		rec, errOut := runJSON(t, s, name, promptOf(n))
		if rec["answer"] != "17 × 3 = 51." {
			t.Errorf("%d-byte prompt: answer %q (%s)", n, rec["answer"], errOut)
		}
		sizes = append(sizes, budgetsOf(rec)["num_ctx"])
	}
	loads := countLoads(s) - before
	t.Logf("10 runs, prompts of 10 to 3000 bytes: num_ctx %v, %d model load(s)", sizes, loads)
	if loads != 1 {
		t.Errorf("%d model loads, want 1; the server's log:\n%s", loads, loadLog(s))
	}
}

// TestContextChat: a 12-turn chat whose history grows past 8 KiB, with
// budgets that size its context at 4096 tokens at first: it steps up to
// 8192 and to 16384 as the history grows, 3 loads in all, and reuses the
// loaded context between the steps.
func TestContextChat(t *testing.T) {
	s := needModels(t)
	const name = "t/ctx-chat"
	ctxModel(t, s, name, 65536, false)
	const turns, wantLoads = 12, 3
	var lines []string
	for i := range turns {
		lines = append(lines, fmt.Sprintf("Turn %d: %s", i+1, promptOf(700)))
	}
	ios, _, errOut := testStreams(strings.Join(append(lines, "/bye"), "\n") + "\n")
	ios.InIsTerminal = true
	ios.Interrupt = term.NewInterrupts(func() {})
	logPath := filepath.Join(t.TempDir(), "runs.jsonl")
	opts := &RunOptions{IO: ios, Now: time.Now, Client: clientFor(s), Log: logPath, HideThinking: true, ConsensusSamples: 1, changed: map[string]bool{}}
	opts.Model, opts.Think = name, "true"
	opts.Budgets = budget.Budgets{MaxThinkTokens: budget.Ptr(1000), MaxAnswerTokens: budget.Ptr(500)}
	req, err := opts.request()
	if err != nil {
		t.Fatal(err)
	}
	before := countLoads(s)
	cs := newChatSession(opts, s.Client, req, term.NewLinesInput(ios.In, ios.ErrOut))
	if err := cs.Loop(context.Background()); err != nil {
		t.Fatal(err)
	}
	loads := countLoads(s) - before

	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sizes []int
	steps := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var rec struct {
			Budgets struct {
				NumCtx int    `json:"num_ctx"`
				Source string `json:"num_ctx_source"`
			} `json:"budgets"`
			Answer string `json:"answer"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		if len(sizes) == 0 || rec.Budgets.NumCtx != sizes[len(sizes)-1] {
			steps++
		}
		sizes = append(sizes, rec.Budgets.NumCtx)
		if rec.Answer != "17 × 3 = 51." {
			t.Errorf("turn %d: answer %q", len(sizes), rec.Answer)
		}
	}
	history := 0
	for _, l := range lines {
		history += len(l)
	}
	t.Logf("%d turns, %d bytes of user messages: num_ctx %v, %d context step(s), %d model load(s)", len(sizes), history, sizes, steps, loads)
	if len(sizes) != turns || history <= 8<<10 {
		t.Fatalf("%d turns logged, %d bytes of history: %s", len(sizes), history, errOut)
	}
	if steps != wantLoads || loads != wantLoads || sizes[0] != 4096 || sizes[len(sizes)-1] != 16384 {
		t.Errorf("num_ctx %v: %d steps and %d loads, want %d of each, from 4096 to 16384; the server's log:\n%s", sizes, steps, loads, wantLoads, loadLog(s))
	}
}

// TestContextFills: a run whose thinking fills its context is cut for
// tokens where only the answer room is left, and answers: with a pinned
// --num-ctx, and on a model whose training context is below what the
// thinking room asks for.
func TestContextFills(t *testing.T) {
	s := needModels(t)
	m := ctxModel(t, s, "t/ctx-1k", 1024, true)
	tests := []struct {
		name   string
		model  string
		args   []string
		numCtx float64
		source string
	}{
		{"pinned", "t/ctx-1k", []string{"--num-ctx", "512"}, 512, "flag"},
		{"training context", "t/ctx-1k", nil, 1024, "sized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, errOut := runJSON(t, s, append([]string{tt.model, "How many r's are in strawberry?", "--loop", "0"}, tt.args...)...)
			b := budgetsOf(rec)
			if rec["cut_reason"] != "tokens" || rec["answer"] != strings.TrimSpace(m.Answer()) || rec["error"] != "" {
				t.Errorf("cut %q answer %q error %q (%s)", rec["cut_reason"], rec["answer"], rec["error"], errOut)
			}
			if b["num_ctx"] != tt.numCtx || b["num_ctx_source"] != tt.source {
				t.Errorf("num_ctx %v (%v), want %v (%s)", b["num_ctx"], b["num_ctx_source"], tt.numCtx, tt.source)
			}
			// No pass went past the context: its prompt and its output fit.
			passes, _ := rec["passes"].([]any)
			for i, p := range passes {
				p := p.(map[string]any)
				if n := num(p, "prompt_eval_count") + num(p, "eval_count"); n > tt.numCtx {
					t.Errorf("pass %d (%s): %v tokens in a %v-token context", i, p["kind"], n, tt.numCtx)
				}
			}
			if th := metric(rec, "thinking_tokens"); th < tt.numCtx/4 {
				t.Errorf("%v thinking tokens in a %v-token context", th, tt.numCtx)
			}
		})
	}
	// What the server does at a full context with shift off: it stops,
	// done reason "length", with no error, its last sampled token left out
	// of the context (eval_count counts it). rein never lets a pass get
	// there (the bound above), but takes it for a token cut if one does.
	t.Run("the server at a full context", func(t *testing.T) {
		f := false
		var last api.GenerateResponse
		err := s.Client.Generate(context.Background(), &api.GenerateRequest{
			Model: "t/ctx-1k", Prompt: "How many r's are in strawberry?", Shift: &f, Truncate: &f,
			Options: map[string]any{"num_ctx": 256, "num_predict": 4000},
		}, func(r api.GenerateResponse) error { last = r; return nil })
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("num_ctx 256, shift false: done reason %q after %d prompt and %d generated tokens", last.DoneReason, last.PromptEvalCount, last.EvalCount)
		if !last.Done || last.DoneReason != "length" || last.PromptEvalCount+last.EvalCount > 256+1 {
			t.Errorf("done %v reason %q, %d+%d tokens", last.Done, last.DoneReason, last.PromptEvalCount, last.EvalCount)
		}
	})
}

// TestShowContextGolden pins the KV rows of `rein show` for Magistral Small
// 24B's shape (from its metadata, as /api/show gives it).
func TestShowContextGolden(t *testing.T) {
	info := map[string]any{
		"general.architecture": "llama", "llama.block_count": 40.0, "llama.embedding_length": 5120.0,
		"llama.context_length": 40960.0, "llama.attention.head_count": 32.0, "llama.attention.head_count_kv": 8.0,
		"llama.attention.key_length": 128.0, "llama.attention.value_length": 128.0,
	}
	kv := models.KVBytesPerToken(info, "")
	d := &models.Description{Name: "magistral:24b", Profile: models.Builtins()[0], MatchedBy: "name",
		Architecture: "llama", Layers: 40, EmbeddingLength: 5120, ContextLength: 40960,
		KVBytesPerToken: kv, ContextCosts: models.ContextCosts(models.ShowThinkBudgets, 40960, kv)}
	var out strings.Builder
	term.WriteDescription(&out, d, false, showTemplateLines)
	checkGolden(t, "show_context.golden", out.String())
}
