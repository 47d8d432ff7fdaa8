package scripted

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/rein-dev/rein/internal/ollamatest"
)

var srv *ollamatest.Server

func TestMain(m *testing.M) { os.Exit(ollamatest.RunMain(m, &srv, ollamatest.Options{})) }

func createModel(t *testing.T, name string, spec Spec) *Model {
	t.Helper()
	s := ollamatest.Need(t, srv)
	m, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Create(ctx, s.Client, name, m, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestServerSmoke(t *testing.T) {
	sc, err := ParseScript("<think>\nFirst I add the numbers.\n\nThen I check the sum.\n\n</think>\n\nThe answer is 4.")
	if err != nil {
		t.Fatal(err)
	}
	m := createModel(t, "scripted-smoke", Spec{Family: "qwen3", Script: sc})
	var thinking, content strings.Builder
	think := &api.ThinkValue{Value: true}
	err = srv.Client.Chat(context.Background(), &api.ChatRequest{
		Model: "scripted-smoke", Think: think,
		Messages: []api.Message{{Role: "user", Content: "What is 2+2?"}},
		Options:  map[string]any{"temperature": 1.0},
	}, func(r api.ChatResponse) error {
		thinking.WriteString(r.Message.Thinking)
		content.WriteString(r.Message.Content)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("thinking=%q content=%q", thinking.String(), content.String())
	if strings.TrimSpace(thinking.String()) != strings.TrimSpace(m.Thinking()) {
		t.Errorf("thinking %q, want %q", thinking.String(), m.Thinking())
	}
	if strings.TrimSpace(content.String()) != strings.TrimSpace(m.Answer()) {
		t.Errorf("answer %q, want %q", content.String(), m.Answer())
	}
}
