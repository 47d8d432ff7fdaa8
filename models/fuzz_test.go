package models

import (
	"errors"
	"strings"
	"testing"

	"github.com/rein-dev/rein/hooks"
)

// FuzzParseProfiles: any profile file either applies to the built-ins,
// giving profiles with names and budgets within their limits, or fails
// with one ProfileError that names the file and a line within it.
func FuzzParseProfiles(f *testing.F) {
	f.Add([]byte("profiles:\n  - name: qwen3\n    options: {temperature: 0.6}\n    budgets: {max_steps: 8, max_think_time: 30s, loop: 0}\n"))
	f.Add([]byte("profiles:\n  - name: mine\n    match: {names: [\"my-*\"]}\n    think_open: <t>\n    think_close: </t>\n    step_split: line\n"))
	f.Add([]byte("profiles:\n  - name: qwen3\n    budget_messages: {fr: \"Stop.\", en: null}\n"))
	f.Add([]byte("profiles:\n  - name: x\n    think_off: {how: prompt-suffix, suffix: \" /no_think\"}\n    chat: true\n    think_levels: [low, high]\n"))
	f.Add([]byte("profiles:\n  - name: qwen3\n    budgets:\n      max_think_tokens: 9223372036854775807\n"))
	f.Add([]byte("profiles: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := ParseProfiles("p.yaml", data, Builtins())
		if err != nil {
			var pe *ProfileError
			if !errors.As(err, &pe) {
				t.Fatalf("%T %v, want a *ProfileError", err, err)
			}
			lines := yamlLines(data)
			if pe.File != "p.yaml" || pe.Line < 0 || pe.Line > lines || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q: line %d of %d", err, pe.Line, lines)
			}
			return
		}
		if len(ps) < len(Builtins()) {
			t.Fatalf("%d profiles, fewer than the built-ins", len(ps))
		}
		for _, p := range ps {
			b := p.Budgets
			if p.Name == "" {
				t.Fatal("a profile with no name")
			}
			{
				if err := b.Validate(nil); err != nil {
					t.Fatalf("profile %s: budgets %+v out of range: %v", p.Name, b, err)
				}
			}
			if b.Loop != nil && (*b.Loop < 0 || *b.Loop > hooks.LimitSteps) {
				t.Fatalf("profile %s: loop %d", p.Name, *b.Loop)
			}
		}
	})
}

// yamlLines counts the lines of data as YAML does: CR LF, CR, LF, NEL,
// LS and PS each end a line.
func yamlLines(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	return 1 + strings.Count(s, "\n") + strings.Count(s, "\r") +
		strings.Count(s, "\u0085") + strings.Count(s, "\u2028") + strings.Count(s, "\u2029")
}
