package runner

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
)

// fakeChatBackend is a FAKE Backend (no server at all) for the chat path:
// it streams thinking and content already split, as Ollama does for models
// whose parser is built in (gpt-oss harmony).
type fakeChatBackend struct {
	mu   sync.Mutex
	reqs []api.ChatRequest
}

func (b *fakeChatBackend) Generate(context.Context, *api.GenerateRequest, api.GenerateResponseFunc) error {
	return errors.New("fake: the chat path must not call generate")
}

func (b *fakeChatBackend) Show(context.Context, *api.ShowRequest) (*api.ShowResponse, error) {
	return &api.ShowResponse{
		Template:     "<|start|>assistant<|channel|>analysis<|message|>{{ .Thinking }}<|end|>",
		Capabilities: []model.Capability{model.CapabilityCompletion, model.CapabilityThinking},
		Details:      api.ModelDetails{Family: "gptoss"},
		ModelInfo:    map[string]any{"general.architecture": "gptoss", "gptoss.context_length": 131072.0},
	}, nil
}

func (b *fakeChatBackend) Version(context.Context) (string, error) { return "0.17.4", nil }

func (b *fakeChatBackend) Chat(ctx context.Context, req *api.ChatRequest, fn api.ChatResponseFunc) error {
	b.mu.Lock()
	b.reqs = append(b.reqs, *req)
	b.mu.Unlock()
	chunk := func(th, an string) api.ChatResponse {
		return api.ChatResponse{Message: api.Message{Role: "assistant", Thinking: th, Content: an},
			Logprobs: []api.Logprob{{TokenLogprob: api.TokenLogprob{Token: th + an}}}}
	}
	var chunks []api.ChatResponse
	last := req.Messages[len(req.Messages)-1]
	switch {
	case req.Options["num_predict"] == 1:
		chunks = []api.ChatResponse{chunk("Step", "")}
	case last.Role == "assistant":
		chunks = []api.ChatResponse{chunk("", "Final"), chunk("", " answer.")}
	default:
		for _, s := range []string{"Step one.", "\n\n", "Step two.", "\n\n", "Step three."} {
			chunks = append(chunks, chunk(s, ""))
		}
		chunks = append(chunks, chunk("", "Answer."))
	}
	for _, c := range chunks {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return fn(api.ChatResponse{Done: true, DoneReason: "stop", Metrics: api.Metrics{
		PromptEvalCount: 100, PromptEvalDuration: 50 * time.Millisecond,
		EvalCount: len(chunks) + 1, EvalDuration: time.Duration(len(chunks)+1) * 10 * time.Millisecond,
	}})
}

func TestRunChatPath(t *testing.T) {
	b := &fakeChatBackend{}
	c := newFakeClock()
	r := &Runner{Backend: tickingBackend{Backend: b, clock: c}, Now: c.Now, Profiles: testProfiles()}
	q := thinkReq()
	q.Budgets.MaxSteps = budget.Ptr(1)
	q.ThinkLevel = "high"
	rec, err := r.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Budgets.Path != "chat" || rec.CutReason != hooks.ReasonSteps {
		t.Errorf("path %q cut %q", rec.Budgets.Path, rec.CutReason)
	}
	if rec.Thinking != "Step one." || rec.Answer != "Final answer." {
		t.Errorf("thinking %q answer %q", rec.Thinking, rec.Answer)
	}
	if len(b.reqs) != 3 {
		t.Fatalf("%d chat requests, want 3", len(b.reqs))
	}
	for i, req := range b.reqs {
		if req.Think == nil || req.Think.Value != "high" {
			t.Errorf("request %d think %v", i, req.Think)
		}
		if req.Shift == nil || *req.Shift || !req.Logprobs {
			t.Errorf("request %d shift %v logprobs %v", i, req.Shift, req.Logprobs)
		}
	}
	res := b.reqs[2]
	want := api.Message{Role: "assistant", Thinking: "Step one.\n\n" + strings.TrimLeft(DefaultBudgetMessage, "\n")}
	if got := res.Messages[len(res.Messages)-1]; got.Role != want.Role || got.Thinking != want.Thinking || got.Content != "" {
		t.Errorf("resume message %+v, want %+v", got, want)
	}
	if len(res.Messages) != 2 || res.Messages[0].Content != question {
		t.Errorf("resume messages %+v", res.Messages)
	}
	if p := rec.Passes[2]; !p.ResumeEvalEstimate || p.ResumeEvalTokens != 100 {
		// 100 prompt tokens in 50ms at the prefill; the fake's resume
		// prompt also takes 50ms, so the estimate is 100 tokens.
		t.Errorf("resume pass %+v", p)
	}
}
