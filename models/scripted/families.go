package scripted

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rein-dev/rein/models/templates"
)

// Family is a chat format modelled on a real model family.
type Family struct {
	Name string
	// Open and Close are the thinking tags; empty for a model that does not think.
	Open, Close string
	// Specials are the template's control tokens.
	Specials []string
	// EOS ends the assistant's turn.
	EOS string
	// Suffix is the text at the end of a rendered generation prompt after
	// its last special token; it becomes one token whose successor is the
	// first piece of the script. Empty when the prompt ends on a special token.
	Suffix string
	// Template is the Ollama (Go text/template) chat template.
	Template string
}

var families = map[string]Family{
	// Qwen3: ChatML with <think>.
	"qwen3": {
		Name: "qwen3", Open: "<think>", Close: "</think>",
		Specials: []string{"<|im_start|>", "<|im_end|>"}, EOS: "<|im_end|>",
		Suffix:   "assistant\n",
		Template: tmpl("qwen3"),
	},
	// Magistral Small 2506: Mistral [INST] with <think>.
	"magistral": {
		Name: "magistral", Open: "<think>", Close: "</think>",
		Specials: []string{"[INST]", "[/INST]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]"}, EOS: "</s>",
		Template: tmpl("magistral"),
	},
	// Magistral Small 2507 and later: [THINK] and [/THINK].
	"magistral-think": {
		Name: "magistral-think", Open: "[THINK]", Close: "[/THINK]",
		Specials: []string{"[INST]", "[/INST]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]"}, EOS: "</s>",
		Template: tmpl("magistral-think"),
	},
	// DeepSeek-R1 distills.
	"deepseek-r1": {
		Name: "deepseek-r1", Open: "<think>", Close: "</think>",
		Specials: []string{"<｜User｜>", "<｜Assistant｜>", "<｜end▁of▁sentence｜>"}, EOS: "<｜end▁of▁sentence｜>",
		Template: tmpl("deepseek-r1"),
	},
	// A ChatML model that does not think.
	"plain": {
		Name:     "plain",
		Specials: []string{"<|im_start|>", "<|im_end|>"}, EOS: "<|im_end|>",
		Suffix: "assistant\n",
		Template: `{{- if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 -}}
{{- if eq .Role "user" }}<|im_start|>user
{{ .Content }}<|im_end|>
{{ else if eq .Role "assistant" }}<|im_start|>assistant
{{ .Content }}{{ if not $last }}<|im_end|>
{{ end }}
{{- end }}
{{- if and (ne .Role "assistant") $last }}<|im_start|>assistant
{{ end }}
{{- end }}`,
	},
}

// Families lists the family names in order.
func Families() []string {
	names := make([]string, 0, len(families))
	for n := range families {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// tmpl is a family's chat template (package templates: the one copy).
func tmpl(family string) string {
	t, ok := templates.Lookup(family)
	if !ok {
		panic("scripted: no template for family " + family)
	}
	return t
}

// LookupFamily returns a family by name.
func LookupFamily(name string) (Family, error) {
	f, ok := families[name]
	if !ok {
		return Family{}, fmt.Errorf("unknown family %q (want one of %s)", name, strings.Join(Families(), ", "))
	}
	return f, nil
}
