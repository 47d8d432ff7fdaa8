package consensus

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/runner"
)

const chatML = `{{- if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}
{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
`

// fakeBackend plays a model that follows the thinking prefix at the end of
// its prompt: each reasoning language has its own chain and answer.
type fakeBackend struct {
	scripts map[string]string // prompt suffix -> output; "" for no prefix
	delay   time.Duration

	mu      sync.Mutex
	prompts []string
	seeds   []any
	active  atomic.Int32
	peak    atomic.Int32
}

func (b *fakeBackend) Version(context.Context) (string, error) { return "0.17.4", nil }

func (b *fakeBackend) Show(context.Context, *api.ShowRequest) (*api.ShowResponse, error) {
	return &api.ShowResponse{Template: chatML + "{{ if false }}<think></think>{{ end }}", Capabilities: []model.Capability{model.CapabilityCompletion, model.CapabilityThinking},
		ModelInfo: map[string]any{"general.architecture": "llama", "llama.context_length": 8192}}, nil
}

func (b *fakeBackend) Chat(context.Context, *api.ChatRequest, api.ChatResponseFunc) error {
	return fmt.Errorf("no chat")
}

func (b *fakeBackend) Generate(ctx context.Context, req *api.GenerateRequest, fn api.GenerateResponseFunc) error {
	n := b.active.Add(1)
	defer b.active.Add(-1)
	for {
		p := b.peak.Load()
		if n <= p || b.peak.CompareAndSwap(p, n) {
			break
		}
	}
	b.mu.Lock()
	b.prompts = append(b.prompts, req.Prompt)
	b.seeds = append(b.seeds, req.Options["seed"])
	b.mu.Unlock()
	out := ""
	if np, _ := req.Options["num_predict"].(int); np != 1 {
		out = b.scripts[""]
		for suffix, s := range b.scripts {
			if suffix != "" && strings.HasSuffix(req.Prompt, suffix) {
				out = s
			}
		}
		time.Sleep(b.delay)
	}
	for _, w := range strings.SplitAfter(out, " ") {
		if err := fn(api.GenerateResponse{Response: w}); err != nil {
			return err
		}
	}
	return fn(api.GenerateResponse{Done: true, DoneReason: "stop", Metrics: api.Metrics{PromptEvalCount: 10, EvalCount: 5}})
}

func genericProfiles() []models.Profile {
	return []models.Profile{{Name: models.GenericName, BudgetMessages: map[string]string{"en": runner.DefaultBudgetMessage}}}
}

func TestRun(t *testing.T) {
	b := &fakeBackend{delay: 50 * time.Millisecond, scripts: map[string]string{
		"I will reason in English.":      "\n\nSix times seven is forty-one.\n</think>\n\nОтвет: получается 41.",
		"我用中文思考。":                        "\n\n六乘以七等于四十二。\n</think>\n\nОтвет: получается сорок два.",
		"Je vais réfléchir en français.": "\n\nSix fois sept font quarante-deux.\n</think>\n\nОтвет: получается ровно 42.",
	}}
	r := &runner.Runner{Backend: b, Profiles: genericProfiles()}
	base := &runner.Request{Model: "m", Prompt: "Сколько будет шесть умножить на семь?", Think: budget.Ptr(true), RunID: "abc", Budgets: budget.Budgets{MaxSteps: budget.Ptr(5)}}
	var done []int
	var mu sync.Mutex
	perChain := 0
	rec, err := Run(context.Background(), r, base, []Chain{{Lang: "en"}, {Lang: "zh"}, {Lang: "fr"}}, Options{
		Hooks: func(i int) []hooks.Hook {
			mu.Lock()
			perChain++
			mu.Unlock()
			return nil
		},
		Done: func(i int, _ *runner.Record, _ error) { done = append(done, i) },
	})
	if err != nil {
		t.Fatal(err)
	}
	c := rec.Consensus
	if c == nil {
		t.Fatal("no consensus in the record")
	}
	if c.Answer != "42" || c.Votes["42"] != 2 || c.Votes["41"] != 1 || c.Winner != 1 {
		t.Errorf("answer %q votes %v winner %d", c.Answer, c.Votes, c.Winner)
	}
	if rec.Answer != "Ответ: получается сорок два." || rec.RunID != "abc" {
		t.Errorf("top record: answer %q run id %q, want the winner's answer under the run's id", rec.Answer, rec.RunID)
	}
	if len(c.Chains) != 3 || len(done) != 3 || perChain != 3 {
		t.Fatalf("%d chains, %d done calls, %d hook calls", len(c.Chains), len(done), perChain)
	}
	for i, want := range []struct{ lang, thinking string }{{"en", "I will reason in English."}, {"zh", "我用中文思考。"}, {"fr", "Je vais réfléchir en français."}} {
		ch := c.Chains[i]
		if ch.RunID != fmt.Sprintf("abc.%d", i+1) || !strings.HasPrefix(ch.Thinking, want.thinking) || c.ReasonIn[i] != want.lang {
			t.Errorf("chain %d: id %q thinking %q lang %q", i, ch.RunID, ch.Thinking, c.ReasonIn[i])
		}
		if ch.Budgets.SystemNote != "Отвечай по-русски." || ch.Budgets.MaxSteps != 5 {
			t.Errorf("chain %d: system note %q max steps %d", i, ch.Budgets.SystemNote, ch.Budgets.MaxSteps)
		}
		if ch.Languages.Prompt != "ru" || ch.Languages.Answer != "ru" {
			t.Errorf("chain %d languages %+v", i, ch.Languages)
		}
	}
	if got := b.peak.Load(); got < 2 {
		t.Errorf("peak %d generations at once, want the chains in parallel", got)
	}
	if c.WallMS <= 0 {
		t.Errorf("wall_ms %v", c.WallMS)
	}
	for _, p := range b.prompts {
		if !strings.Contains(p, "<|im_start|>system\nОтвечай по-русски.<|im_end|>") {
			t.Errorf("prompt without the answer instruction: %q", p)
		}
	}
}

func TestRunParallelAndSeeds(t *testing.T) {
	b := &fakeBackend{delay: 20 * time.Millisecond, scripts: map[string]string{"": "<think>\nThinking.\n</think>\n\nThe answer is 7."}}
	r := &runner.Runner{Backend: b, Profiles: genericProfiles()}
	var chains []Chain
	for i := range 4 {
		s := 10 + i
		chains = append(chains, Chain{Seed: &s})
	}
	rec, err := Run(context.Background(), r, &runner.Request{Model: "m", Prompt: "What is 3+4?", Think: budget.Ptr(true)}, chains, Options{Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.peak.Load(); got != 1 {
		t.Errorf("peak %d generations at once with Parallel 1", got)
	}
	if rec.Consensus.Votes["7"] != 4 || rec.Consensus.Winner != 0 || rec.Budgets.ThinkPrefix != "" {
		t.Errorf("votes %v winner %d prefix %q", rec.Consensus.Votes, rec.Consensus.Winner, rec.Budgets.ThinkPrefix)
	}
	seen := map[int]bool{}
	for _, ch := range rec.Consensus.Chains {
		seen[toInt(ch.Budgets.Options["seed"])] = true
	}
	for s := 10; s < 14; s++ {
		if !seen[s] {
			t.Errorf("no chain ran with seed %d (%v)", s, seen)
		}
	}
	if len(rec.RunID) != 16 || !strings.HasPrefix(rec.Consensus.Chains[3].RunID, rec.RunID+".") {
		t.Errorf("run id %q, chain id %q", rec.RunID, rec.Consensus.Chains[3].RunID)
	}
}

func toInt(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case float64:
		return int(x)
	}
	return -1
}

func TestRunFailures(t *testing.T) {
	r := &runner.Runner{Backend: &fakeBackend{scripts: map[string]string{"": "<think>\nHm.\n</think>\n\n5"}}, Profiles: genericProfiles()}
	// An unknown language leaves the chain's reasoning alone.
	rec, err := Run(context.Background(), r, &runner.Request{Model: "m", Prompt: "2+3?", Think: budget.Ptr(true)},
		[]Chain{{}, {Lang: "xx"}}, Options{})
	if err != nil || rec.Consensus.Votes["5"] != 2 || rec.Consensus.Chains[1].Budgets.ThinkPrefix != "" {
		t.Fatalf("err %v votes %v", err, rec.Consensus.Votes)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec, err = Run(ctx, r, &runner.Request{Model: "m", Prompt: "2+3?", Think: budget.Ptr(true)}, []Chain{{}, {}}, Options{Parallel: 1})
	if err == nil || rec == nil || len(rec.Consensus.Chains) != 2 {
		t.Fatalf("cancelled: err %v rec %v", err, rec)
	}
	for i, ch := range rec.Consensus.Chains {
		if ch.CutReason != hooks.ReasonInterrupted || ch.Error == "" {
			t.Errorf("chain %d after cancel: cut %q error %q", i, ch.CutReason, ch.Error)
		}
	}

	rec, err = Run(context.Background(), r, &runner.Request{Model: "", Prompt: "2+3?"}, []Chain{{}, {}}, Options{})
	if err == nil || rec.Consensus.Answer != "" || len(rec.Warnings) != 2 {
		t.Errorf("all chains failing: err %v answer %q warnings %q", err, rec.Consensus.Answer, rec.Warnings)
	}
	if _, err := Run(context.Background(), r, &runner.Request{Model: "m", Prompt: "x"}, nil, Options{}); err == nil {
		t.Errorf("no chains: no error")
	}
}
