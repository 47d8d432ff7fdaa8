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
