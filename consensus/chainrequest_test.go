package consensus

import (
	"testing"

	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/runner"
)

// A prompt whose language the detector cannot tell gets no instruction to
// answer in it: "answer in unknown" is no instruction (issue 18).
func TestChainRequestPromptLanguage(t *testing.T) {
	for _, tc := range []struct {
		lang, promptLang string
		wantNote         bool
	}{
		{"fr", "en", true},
		{"fr", "fr", false},
		{"fr", hooks.LangUnknown, false},
		{"fr", "", false},
		{"", "en", false},
	} {
		q := ChainRequest(&runner.Request{Model: "m", Prompt: "2+2?"}, tc.lang, tc.promptLang)
		if got := q.SystemNote != ""; got != tc.wantNote {
			t.Errorf("ChainRequest(%q, prompt %q): system note %q, want one: %v", tc.lang, tc.promptLang, q.SystemNote, tc.wantNote)
		}
		if tc.lang != "" && q.ThinkPrefix == "" {
			t.Errorf("ChainRequest(%q): no thinking prefix", tc.lang)
		}
	}
}

// A chain's trace starts with its reasoning prefix; a short trace whose rest
// is numbers ("17 × 3 = 51") is the prefix's language or unknown, never
// another one (issue 18: a French chain was reported "thought in de").
func TestChainTraceLanguage(t *testing.T) {
	tails := []string{"", "\n\n17 × 3 = 51.", "\n\n17 × 3 = 51. 51 / 3 = 17. 51.", "\n\nOK."}
	for _, lang := range Languages() {
		for _, tail := range tails {
			trace := ThinkPrefix(lang) + tail
			if got := hooks.DetectLanguage(trace); got != lang && got != hooks.LangUnknown {
				t.Errorf("%s chain %q: detected %q, want %s or %s", lang, trace, got, lang, hooks.LangUnknown)
			}
		}
	}
}
