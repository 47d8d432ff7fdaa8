package openai

import (
	"fmt"
	"slices"
	"strings"
)

// profileTemplates are the chat templates of the families rein knows (the
// built-in profiles of models/profile.go, gpt-oss aside: its harmony format
// needs the chat path), in Ollama's template syntax, as the vendors' own
// formats render a conversation with thinking. The scripted test models of
// models/scripted use the same formats.
var profileTemplates = map[string]string{
	// Qwen3: ChatML, thinking in <think>; with thinking off, the empty
	// block Qwen3's own template writes.
	"qwen3": `{{- if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 -}}
{{- if eq .Role "user" }}<|im_start|>user
{{ .Content }}<|im_end|>
{{ else if eq .Role "assistant" }}<|im_start|>assistant
{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ .Content }}{{ if not $last }}<|im_end|>
{{ end }}
{{- end }}
{{- if and (ne .Role "assistant") $last }}<|im_start|>assistant
{{ if and $.IsThinkSet (not $.Think) }}<think>

</think>{{ end }}
{{- end }}
{{- end }}`,
	// Magistral Small 2506: Mistral's [INST] with <think>.
	"magistral": `{{- if .System }}[SYSTEM_PROMPT]{{ .System }}[/SYSTEM_PROMPT]{{ end }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq .Role "user" }}[INST]{{ .Content }}[/INST]
{{- else if eq .Role "assistant" }}
{{- if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ .Content }}{{ if not $last }}</s>{{ end }}
{{- end }}
{{- end }}`,
	// Magistral Small 2507 and later: [THINK] and [/THINK].
	"magistral-think": `{{- if .System }}[SYSTEM_PROMPT]{{ .System }}[/SYSTEM_PROMPT]{{ end }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq .Role "user" }}[INST]{{ .Content }}[/INST]
{{- else if eq .Role "assistant" }}
{{- if .Thinking }}[THINK]{{ .Thinking }}[/THINK]{{ end }}{{ .Content }}{{ if not $last }}</s>{{ end }}
{{- end }}
{{- end }}`,
	// DeepSeek-R1 and its distills.
	"deepseek-r1": `{{- if .System }}{{ .System }}{{ end }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1}}
{{- if eq .Role "user" }}<｜User｜>{{ .Content }}
{{- else if eq .Role "assistant" }}<｜Assistant｜>{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ .Content }}{{- if not $last }}<｜end▁of▁sentence｜>{{- end }}
{{- end }}
{{- if and $last (ne .Role "assistant") }}<｜Assistant｜>{{- end }}
{{- end }}`,
}

// ProfileNames lists the profiles whose template rein knows.
func ProfileNames() []string {
	names := make([]string, 0, len(profileTemplates))
	for n := range profileTemplates {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ProfileTemplate returns the chat template of a profile rein knows.
func ProfileTemplate(name string) (string, error) {
	t, ok := profileTemplates[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		if name == "gpt-oss" {
			return "", fmt.Errorf("profile gpt-oss: its harmony format needs the chat path, which the openai backend does not offer")
		}
		return "", fmt.Errorf("unknown profile %q: want one of %s, or give --template FILE", name, strings.Join(ProfileNames(), ", "))
	}
	return t, nil
}
