package models

import (
	"strings"
	"testing"

	"github.com/ollama/ollama/api"
	"github.com/rein-dev/rein/models/scripted"
)

func familyTemplate(t *testing.T, fam string) string {
	t.Helper()
	f, err := scripted.LookupFamily(fam)
	if err != nil {
		t.Fatal(err)
	}
	return f.Template
}

// Templates modelled on real ones that the scripted families do not cover.
const (
	gptossTemplate    = `<|start|>system<|message|>Reasoning: {{ .ThinkLevel }}<|end|>{{- range .Messages }}{{ if eq .Role "assistant" }}{{ if .Thinking }}<|start|>assistant<|channel|>analysis<|message|>{{ .Thinking }}<|end|>{{ end }}<|start|>assistant<|channel|>final<|message|>{{ .Content }}<|end|>{{ else }}<|start|>{{ .Role }}<|message|>{{ .Content }}<|end|>{{ end }}{{ end }}<|start|>assistant`
	reasoningTemplate = `{{- range .Messages }}{{ if eq .Role "user" }}USER: {{ .Content }}
{{ else }}ASSISTANT: {{ if .Thinking }}<reasoning>{{ .Thinking }}</reasoning>{{ end }}{{ .Content }}
{{ end }}{{ end }}ASSISTANT: `
	qwen3CoderTemplate = `{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
`
)

func showOf(family, tmpl string) *api.ShowResponse {
	return &api.ShowResponse{
		Template:  tmpl,
		Details:   api.ModelDetails{Family: family, Families: []string{family}},
		ModelInfo: map[string]any{"general.architecture": family},
	}
}

func TestMatchProfiles(t *testing.T) {
	tmpl := func(fam string) string { return familyTemplate(t, fam) }
	tests := []struct {
		name      string
		model     string
		show      *api.ShowResponse
		want, by  string
		open, cls string
	}{
		// The scripted families (architecture llama): the template decides.
		{"scripted qwen3", "scripted-qwen3-en", showOf("llama", tmpl("qwen3")), "qwen3", ByTemplate, "<think>", "</think>"},
		{"scripted magistral 2506", "scripted-magistral-en", showOf("llama", tmpl("magistral")), "magistral", ByTemplate, "<think>", "</think>"},
		{"scripted magistral-think", "scripted-magistral-think-en", showOf("llama", tmpl("magistral-think")), "magistral-think", ByTemplate, "[THINK]", "[/THINK]"},
		{"scripted deepseek-r1", "scripted-deepseek-r1-en", showOf("llama", tmpl("deepseek-r1")), "deepseek-r1", ByTemplate, "<think>", "</think>"},
		{"scripted plain", "scripted-plain-en", showOf("llama", tmpl("plain")), GenericName, ByFallback, "", ""},
		// A magistral name: the template picks the format.
		{"demo magistral name, [THINK] template", "rein-demo/magistral", showOf("llama", tmpl("magistral-think")), "magistral-think", ByName, "[THINK]", "[/THINK]"},
		{"magistral:24b 2506 template", "magistral:24b", showOf("llama", tmpl("magistral")), "magistral", ByName, "<think>", "</think>"},
		{"magistral name, no template", "magistral:24b", showOf("llama", ""), "magistral", ByName, "<think>", "</think>"},
		{"magistral name, template without tags", "magistral:24b-custom", showOf("llama", `{{ range .Messages }}[INST]{{ .Content }}[/INST]{{ end }}`), "magistral", ByName, "<think>", "</think>"},
		// Qwen3 by name, by family (dense and MoE), and nil show.
		{"qwen3 by name", "qwen3:30b-a3b", showOf("qwen3moe", tmpl("qwen3")), "qwen3", ByName, "<think>", "</think>"},
		{"qwen3 by family", "my-model:latest", showOf("qwen3moe", tmpl("qwen3")), "qwen3", ByFamily, "<think>", "</think>"},
		{"qwen3 hf name", "hf.co/Qwen/Qwen3-8B-GGUF:Q4_K_M", showOf("qwen3", tmpl("qwen3")), "qwen3", ByName, "<think>", "</think>"},
		{"qwen3 nil show", "qwen3:8b", nil, "qwen3", ByName, "<think>", "</think>"},
		// deepseek-r1:8b is the Qwen3-8B distill: family qwen3, DeepSeek template.
		{"deepseek-r1:8b", "deepseek-r1:8b", showOf("qwen3", tmpl("deepseek-r1")), "deepseek-r1", ByName, "<think>", "</think>"},
		{"r1 distill under another name", "my-distill", showOf("qwen3", tmpl("deepseek-r1")), "deepseek-r1", ByTemplate, "<think>", "</think>"},
		{"r1 distill hf name", "hf.co/unsloth/DeepSeek-R1-0528-Qwen3-8B-GGUF:Q4_K_M", showOf("qwen3", tmpl("deepseek-r1")), "deepseek-r1", ByName, "<think>", "</think>"},
		// gpt-oss: chat path, no text tags.
		{"gpt-oss by name", "gpt-oss:20b", showOf("gptoss", gptossTemplate), "gpt-oss", ByName, "", ""},
		{"gpt-oss by family", "oss-fork", showOf("gptoss", ""), "gpt-oss", ByFamily, "", ""},
		{"gpt-oss by template", "harmony-model", showOf("llama", gptossTemplate), "gpt-oss", ByTemplate, "", ""},
		// Fallback: generic, with the tags Ollama infers.
		{"generic with inferred tags", "some/reasoner:1b", showOf("llama", reasoningTemplate), GenericName, ByFallback, "<reasoning>", "</reasoning>"},
		{"generic non-thinking", "llama3.2:3b", showOf("llama", tmpl("plain")), GenericName, ByFallback, "", ""},
		{"generic no show", "mystery", nil, GenericName, ByFallback, "", ""},
		// A qwen3-family model whose template has no <think>: the family
		// match is contradicted, and nothing else fits.
		{"qwen3 family, contradicted", "coder:30b", showOf("qwen3moe", qwen3CoderTemplate), "qwen3", ByFamily, "<think>", "</think>"},
	}
	profiles := Builtins()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, by := MatchReason(tt.model, tt.show, profiles)
			if p.Name != tt.want || by != tt.by {
				t.Errorf("MatchReason(%q) = %s by %s, want %s by %s", tt.model, p.Name, by, tt.want, tt.by)
			}
			if p.ThinkOpen != tt.open || p.ThinkClose != tt.cls {
				t.Errorf("tags %q %q, want %q %q", p.ThinkOpen, p.ThinkClose, tt.open, tt.cls)
			}
			if got := Match(tt.model, tt.show, profiles); got.Name != p.Name {
				t.Errorf("Match = %s, MatchReason = %s", got.Name, p.Name)
			}
		})
	}
}

// The generic profile's tags come from the template as Ollama infers them:
// they must be the scripted families' own tags.
func TestProfileInferTagsScriptedFamilies(t *testing.T) {
	for _, fam := range scripted.Families() {
		t.Run(fam, func(t *testing.T) {
			f, _ := scripted.LookupFamily(fam)
			open, cls := InferTags(f.Template)
			if open != f.Open || cls != f.Close {
				t.Errorf("InferTags = %q %q, want %q %q", open, cls, f.Open, f.Close)
			}
			// Through the generic profile too.
			g := Match("x", showOf("unknownarch", f.Template), []Profile{{Name: GenericName}})
			if g.ThinkOpen != f.Open || g.ThinkClose != f.Close {
				t.Errorf("generic tags %q %q, want %q %q", g.ThinkOpen, g.ThinkClose, f.Open, f.Close)
			}
		})
	}
	if o, c := InferTags("{{ .Prompt"); o != "" || c != "" {
		t.Errorf("a template that does not parse gave tags %q %q", o, c)
	}
}

func TestProfileBuiltins(t *testing.T) {
	ps := Builtins()
	want := []string{"magistral", "magistral-think", "qwen3", "deepseek-r1", "gpt-oss", GenericName}
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
		if p.Source != SourceBuiltin {
			t.Errorf("%s: source %q", p.Name, p.Source)
		}
		if p.BudgetMessages["en"] == "" {
			t.Errorf("%s: no English budget message", p.Name)
		}
		if p.StepSplit != "paragraph" {
			t.Errorf("%s: step split %q", p.Name, p.StepSplit)
		}
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("builtins %v, want %v", names, want)
	}
	byName := map[string]Profile{}
	for _, p := range ps {
		byName[p.Name] = p
	}
	checks := []struct {
		profile, what string
		ok            bool
	}{
		{"magistral", "temperature 0.7", byName["magistral"].Options["temperature"] == 0.7},
		{"magistral", "top_p 0.95", byName["magistral"].Options["top_p"] == 0.95},
		{"magistral", "num_ctx >= 40960", byName["magistral"].Options["num_ctx"].(int) >= 40960},
		{"magistral", "reasoning system prompt", strings.Contains(byName["magistral"].System, "draft your thinking process (inner monologue)") && strings.Contains(byName["magistral"].System, "<think>")},
		{"magistral-think", "[THINK] system prompt", strings.Contains(byName["magistral-think"].System, "[THINK]")},
		{"qwen3", "temperature 0.6", byName["qwen3"].Options["temperature"] == 0.6},
		{"qwen3", "top_k 20", byName["qwen3"].Options["top_k"] == 20},
		{"qwen3", "/no_think", byName["qwen3"].ThinkOff == ThinkOff{How: ThinkOffPromptSuffix, Suffix: "/no_think", OnSuffix: "/think"}},
		{"gpt-oss", "levels", strings.Join(byName["gpt-oss"].ThinkLevels, ",") == "low,medium,high"},
		{"gpt-oss", "chat path", byName["gpt-oss"].Chat},
		{"deepseek-r1", "think flag", byName["deepseek-r1"].ThinkOff.How == ThinkOffFlag},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: want %s", c.profile, c.what)
		}
	}
	// Fresh copies: changing one does not change the next.
	ps[0].Options["temperature"] = 2.0
	ps[0].BudgetMessages["en"] = "x"
	if again := Builtins(); again[0].Options["temperature"] != 0.7 || again[0].BudgetMessages["en"] == "x" {
		t.Error("Builtins shares its maps between calls")
	}
}

func TestProfileBudgetMessage(t *testing.T) {
	p := Builtins()[0]
	tests := []struct{ lang, want string }{
		{"en", p.BudgetMessages["en"]},
		{"fr", p.BudgetMessages["fr"]},
		{"FR", p.BudgetMessages["fr"]},
		{"pt-BR", p.BudgetMessages["pt"]},
		{"xx", p.BudgetMessages["en"]},
		{"", p.BudgetMessages["en"]},
	}
	for _, tt := range tests {
		if got := p.BudgetMessage(tt.lang); got != tt.want || got == "" {
			t.Errorf("BudgetMessage(%q) = %q, want %q", tt.lang, got, tt.want)
		}
	}
}

func TestProfileNameMatches(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		want     bool
	}{
		{"qwen3:8b", []string{"qwen3"}, true},
		{"qwen3", []string{"qwen3"}, true},
		{"qwen3-coder:30b", []string{"qwen3"}, false},
		{"qwen3-coder:30b", []string{"qwen3*"}, true},
		{"registry.ollama.ai/library/qwen3:8b", []string{"qwen3"}, true},
		{"Magistral:24B", []string{"magistral*"}, true},
		{"mymagistral", []string{"magistral*"}, false},
		{"x", nil, false},
		{"", []string{"*"}, false},
	}
	for _, tt := range tests {
		if got := nameMatches(tt.name, tt.patterns); got != tt.want {
			t.Errorf("nameMatches(%q, %q) = %v, want %v", tt.name, tt.patterns, got, tt.want)
		}
	}
}
