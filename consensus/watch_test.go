package consensus

import (
	"strings"
	"testing"

	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/runner"
)

func TestLanguageWatch(t *testing.T) {
	for _, tt := range []struct {
		mode    string
		nilOK   bool
		cut     bool
		err     string
		warning string
	}{
		{mode: "", warning: "switched language, en→zh, at thinking token 7"},
		{mode: SwitchCut, cut: true, warning: "at thinking token 7; cut there"},
		{mode: SwitchOff, nilOK: true},
		{mode: "loud", err: `--on-language-switch must be warn, cut or off, not "loud"`},
	} {
		w, err := NewLanguageWatch(tt.mode)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: error %v, want %q", tt.mode, err, tt.err)
			}
			continue
		}
		if err != nil || (w == nil) != tt.nilOK {
			t.Fatalf("%q: watch %v, error %v", tt.mode, w, err)
		}
		rec := &runner.Record{}
		if w != nil {
			if w.Hook.Cut != tt.cut {
				t.Errorf("%q: cut %v", tt.mode, w.Hook.Cut)
			}
			w.Hook.OnSwitch("en", "zh", &hooks.Event{ThinkingTokens: 7})
		}
		w.Apply(rec)
		got := strings.Join(rec.Warnings, "|")
		if tt.warning == "" && (got != "" || rec.LanguageSwitch != "") || tt.warning != "" && (!strings.Contains(got, tt.warning) || rec.LanguageSwitch != "en→zh") {
			t.Errorf("%q: warnings %q, switch %q; want %q", tt.mode, got, rec.LanguageSwitch, tt.warning)
		}
	}
	if l, err := CheckLanguage(" FR "); err != nil || l != "fr" {
		t.Errorf("CheckLanguage: %q %v", l, err)
	}
	if _, err := CheckLanguage("xx"); err == nil || !strings.Contains(err.Error(), `unknown language "xx"`) {
		t.Errorf("CheckLanguage(xx): %v", err)
	}
}
