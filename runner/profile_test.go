package runner

import (
	"testing"

	"github.com/ollama/ollama/types/model"
)

func TestInferProfile(t *testing.T) {
	tests := []struct {
		name, tmpl, family string
		caps               []model.Capability
		open, close        string
		chat               bool
	}{
		{"qwen3", qwenTemplate, "qwen3", nil, "<think>", "</think>", false},
		{"magistral", "[INST]{{ .Prompt }}[/INST]{{ if .Thinking }}[THINK]{{ .Thinking }}[/THINK]{{ end }}", "llama", nil, "[THINK]", "[/THINK]", false},
		{"gpt-oss", "<|start|>assistant<|channel|>analysis<|message|>", "gptoss", nil, "", "", true},
		{"plain", "{{ .Prompt }}", "llama", nil, "", "", false},
		{"inferred by ollama", "{{ range .Messages }}{{ if .Thinking }}<reason>{{ .Thinking }}</reason>{{ end }}{{ end }}", "x",
			[]model.Capability{model.CapabilityThinking}, "<reason>", "</reason>", false},
	}
	for _, tc := range tests {
		p := InferProfile(tc.tmpl, tc.caps, tc.family)
		if p.ThinkOpen != tc.open || p.ThinkClose != tc.close || p.Chat != tc.chat {
			t.Errorf("%s: %+v", tc.name, p)
		}
	}
}
