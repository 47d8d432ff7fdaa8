package consensus

import (
	"fmt"
	"strings"

	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/runner"
)

// What --on-language-switch takes.
const (
	SwitchWarn = "warn"
	SwitchCut  = "cut"
	SwitchOff  = "off"
)

// LanguageWatch runs a LanguageSwitch hook for one run and records what it
// saw in the run's record.
type LanguageWatch struct {
	// Hook is the run's hook; Cut is set for SwitchCut.
	Hook *hooks.LanguageSwitch
	path []string // the languages the thinking went through
	at   int      // thinking tokens at the first switch
}

// NewLanguageWatch returns a watch for a mode of --on-language-switch
// ("" is SwitchWarn); nil for SwitchOff.
func NewLanguageWatch(mode string) (*LanguageWatch, error) {
	switch mode {
	case "", SwitchWarn, SwitchCut:
	case SwitchOff:
		return nil, nil
	default:
		return nil, fmt.Errorf("--on-language-switch must be warn, cut or off, not %q", mode)
	}
	w := &LanguageWatch{}
	w.Hook = &hooks.LanguageSwitch{
		Cut: mode == SwitchCut,
		OnSwitch: func(from, to string, ev *hooks.Event) {
			if len(w.path) == 0 {
				w.path, w.at = []string{from}, ev.ThinkingTokens
			}
			w.path = append(w.path, to)
		},
	}
	return w, nil
}

// Apply records a switch in the run's record: language_switch, and one
// warning, for the command to show. A nil watch records nothing.
func (w *LanguageWatch) Apply(rec *runner.Record) {
	if w == nil || rec == nil || len(w.path) == 0 {
		return
	}
	rec.LanguageSwitch = strings.Join(w.path, "→")
	msg := fmt.Sprintf("the thinking switched language, %s, at thinking token %d", rec.LanguageSwitch, w.at)
	if w.Hook.Cut {
		msg += "; cut there"
	}
	rec.Warnings = append(rec.Warnings, msg)
}

// CheckLanguage normalises a language code rein can reason in (en, fr,
// zh, …), or says which it knows.
func CheckLanguage(l string) (string, error) {
	l = strings.ToLower(strings.TrimSpace(l))
	if ReasonSentence(l) == "" {
		return "", fmt.Errorf("unknown language %q (want one of %s)", l, strings.Join(Languages(), ", "))
	}
	return l, nil
}
