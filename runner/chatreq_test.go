package runner

import (
	"github.com/rein-dev/rein/budget"

	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"
)

// toolsBackend is a thinking model that raw generation could drive, but
// whose requests carry tools, a format or images: they must go through
// chat. Its answer after a cut is a tool call.
type toolsBackend struct {
	mu   sync.Mutex
	reqs []api.ChatRequest
}

func (b *toolsBackend) Generate(context.Context, *api.GenerateRequest, api.GenerateResponseFunc) error {
	return errors.New("fake: tools, formats and images must not take the raw path")
}

func (b *toolsBackend) Show(context.Context, *api.ShowRequest) (*api.ShowResponse, error) {
	return &api.ShowResponse{
		Template:     "{{ range .Messages }}{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ .Content }}{{ end }}",
		Capabilities: []model.Capability{model.CapabilityCompletion, model.CapabilityThinking, model.CapabilityTools},
		ModelInfo:    map[string]any{"general.architecture": "qwen3", "qwen3.context_length": 32768.0},
	}, nil
}

func (b *toolsBackend) Version(context.Context) (string, error) { return "0.17.4", nil }

func (b *toolsBackend) Chat(ctx context.Context, req *api.ChatRequest, fn api.ChatResponseFunc) error {
	b.mu.Lock()
	b.reqs = append(b.reqs, *req)
	b.mu.Unlock()
	var chunks []api.ChatResponse
	switch last := req.Messages[len(req.Messages)-1]; {
	case req.Options["num_predict"] == 1:
		chunks = []api.ChatResponse{{Message: api.Message{Thinking: "Step"}}}
	case last.Role == "assistant":
		call := api.ToolCall{Function: api.ToolCallFunction{Name: "get_weather"}}
		chunks = []api.ChatResponse{{Message: api.Message{ToolCalls: []api.ToolCall{call}}}}
	default:
		for _, s := range []string{"Step one.", "\n\n", "Step two.", "\n\n", "Step three."} {
			chunks = append(chunks, api.ChatResponse{Message: api.Message{Thinking: s}})
		}
	}
	for _, c := range chunks {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return fn(api.ChatResponse{Done: true, DoneReason: "stop", Metrics: api.Metrics{PromptEvalCount: 10, EvalCount: len(chunks)}})
}

// TestRunToolsFormatImages: a request with tools, a format or images takes
// the chat path and passes them on; after a cut the reply is asked for with
// the format and thinking off (Ollama applies a format only once it sees
// the thinking end); tool calls land in the record; each pass has its time.
func TestRunToolsFormatImages(t *testing.T) {
	tools := api.Tools{{Type: "function", Function: api.ToolFunction{Name: "get_weather"}}}
	for _, tc := range []struct {
		name string
		req  Request
	}{
		{"tools and format", Request{Tools: tools, Format: json.RawMessage(`"json"`), Prompt: "Weather in Paris?"}},
		{"images", Request{Messages: []api.Message{{Role: "user", Content: "What is this?", Images: []api.ImageData{[]byte("png")}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &toolsBackend{}
			q := tc.req
			q.Model, q.Think, q.Budgets.MaxSteps = "m", budget.Ptr(true), budget.Ptr(1)
			rec, err := (&Runner{Backend: b}).Run(context.Background(), &q)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Budgets.Path != "chat" || rec.CutReason != "steps" || len(b.reqs) != 3 {
				t.Fatalf("path %q cut %q, %d requests", rec.Budgets.Path, rec.CutReason, len(b.reqs))
			}
			for i, r := range b.reqs {
				if len(r.Tools) != len(q.Tools) || string(r.Format) != string(q.Format) {
					t.Errorf("request %d: tools %v format %s", i, r.Tools, r.Format)
				}
			}
			if first, resume := b.reqs[1], b.reqs[2]; !first.Think.Bool() || resume.Think.Bool() != (q.Format == nil) {
				t.Errorf("think: first pass %v, resume %v (format %s)", first.Think, resume.Think, q.Format)
			}
			if len(rec.ToolCalls) != 1 || rec.ToolCalls[0].Function.Name != "get_weather" {
				t.Errorf("tool calls %+v", rec.ToolCalls)
			}
			for _, p := range rec.Passes[1:] {
				if p.WallMS <= 0 {
					t.Errorf("pass %s: wall_ms %v", p.Kind, p.WallMS)
				}
			}
		})
	}
}
