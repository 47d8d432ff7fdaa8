package runner

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ollama/ollama/types/model"

	"github.com/rein-dev/rein/models"
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

// TestThinkLevelWarning: a think level the model's family does not take
// warns, and the run thinks as with think on; one it takes does not warn.
func TestThinkLevelWarning(t *testing.T) {
	tests := []struct {
		name   string
		levels []string
		warn   bool
	}{
		{"a family without levels", nil, true},
		{"a family with levels", []string{"low", "medium", "high"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, defaultModel())
			r, _ := newTestRunner(f)
			fam := models.Profile{Name: "fam", Match: models.MatchRule{Names: []string{"fake"}}, ThinkOpen: "<think>", ThinkClose: "</think>", ThinkLevels: tt.levels}
			r.Profiles = append([]models.Profile{fam}, testProfiles()...)
			q := thinkReq()
			q.ThinkLevel = "high"
			rec, err := r.Run(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			warned := slices.ContainsFunc(rec.Warnings, func(w string) bool { return strings.Contains(w, `takes no think level "high"`) })
			if warned != tt.warn || rec.Thinking == "" {
				t.Errorf("warnings %v (want a level warning: %v), thinking %q", rec.Warnings, tt.warn, rec.Thinking)
			}
		})
	}
}
