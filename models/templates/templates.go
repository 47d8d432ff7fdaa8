// Package templates holds the chat templates, in Ollama's template syntax,
// of the families rein knows (the built-in profiles of models/profile.go,
// gpt-oss aside: its harmony format is parsed by Ollama in Go), as the
// vendors' own formats render a conversation with thinking. The openai
// backend renders prompts with them (--profile NAME), and the scripted test
// models of models/scripted are built on them.
package templates

import (
	"slices"
	"strings"
)

var byFamily = map[string]string{
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

// Lookup returns the chat template of a family ("qwen3", "magistral", …);
// the name is compared without case or surrounding space.
func Lookup(family string) (string, bool) {
	t, ok := byFamily[strings.ToLower(strings.TrimSpace(family))]
	return t, ok
}

// Names lists the families, sorted.
func Names() []string {
	names := make([]string, 0, len(byFamily))
	for n := range byFamily {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
