package hooks

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/abadojack/whatlanggo"
)

// Languages rein detects: the languages reasoning models think in. Limiting
// the detector to them makes it faster and more reliable on short traces.
var detectLangs = map[whatlanggo.Lang]bool{
	whatlanggo.Eng: true, whatlanggo.Fra: true, whatlanggo.Spa: true,
	whatlanggo.Deu: true, whatlanggo.Ita: true, whatlanggo.Por: true,
	whatlanggo.Rus: true, whatlanggo.Ukr: true, whatlanggo.Cmn: true,
	whatlanggo.Jpn: true, whatlanggo.Kor: true, whatlanggo.Arb: true,
	whatlanggo.Pol: true, whatlanggo.Nld: true, whatlanggo.Tur: true,
}

var detectOpts = whatlanggo.Options{Whitelist: detectLangs}

// minLetters is the least number of letters a text needs for a language:
// "42" or "OK" has none.
const minLetters = 12

// maxDetectBytes bounds the text one detection reads.
const maxDetectBytes = 2048

// LangUnknown is the label of a text whose language the detector cannot
// tell: too little text, no language (a formula, a list of names), or a
// detection it is not sure of.
const LangUnknown = "unknown"

// KnownLanguage reports whether code is a language the detector was sure
// of: neither LangUnknown nor "" (no text, or a record from before the
// label existed).
func KnownLanguage(code string) bool { return code != "" && code != LangUnknown }

// DetectLanguage returns the ISO 639-1 code of text's language,
// LangUnknown when it cannot tell (the text is too short, has no language,
// or the detectors disagree), and "" when there is no text at all. Han,
// kana and hangul count three letters each, since one character carries a
// word. A script only one of rein's languages uses (Han, kana, hangul,
// Arabic) settles it; Russian and Ukrainian are told apart by their own
// letters; a Latin-script text needs its function words to agree with the
// trigram model (see agreeWithFunctionWords), so that it is unsure rather
// than wrong.
func DetectLanguage(text string) string {
	if strings.TrimSpace(text) == "" {
		return ""
	}
	if lang := detectLanguage(text); lang != "" {
		return lang
	}
	return LangUnknown
}

// detectLanguage is DetectLanguage with "" for unsure.
func detectLanguage(text string) string {
	if !hasLetters(text, minLetters) {
		return ""
	}
	// A long trace is judged on a sample, so the cost stays bounded.
	if len(text) > maxDetectBytes {
		text = strings.ToValidUTF8(text[:maxDetectBytes], "")
	}
	info := whatlanggo.DetectWithOptions(text, detectOpts)
	if !detectLangs[info.Lang] {
		return ""
	}
	lang := info.Lang.Iso6391()
	switch info.Script {
	case unicode.Latin:
		return agreeWithFunctionWords(text, lang)
	case unicode.Cyrillic:
		return cyrillicLang(text)
	}
	return lang
}

func hasLetters(text string, n int) bool {
	letters := 0
	for _, r := range text {
		switch {
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul):
			letters += 3
		case unicode.IsLetter(r):
			letters++
		}
		if letters >= n {
			return true
		}
	}
	return false
}

// Languages are the detected languages of a run's parts.
type Languages struct {
	Prompt   string `json:"prompt"`
	Thinking string `json:"thinking"`
	Answer   string `json:"answer"`
}

// Consistent reports whether every detected language is the same; parts
// whose language is unknown (or that have no text) are ignored.
func (l Languages) Consistent() bool {
	seen := ""
	for _, c := range []string{l.Prompt, l.Thinking, l.Answer} {
		if !KnownLanguage(c) {
			continue
		}
		if seen != "" && c != seen {
			return false
		}
		seen = c
	}
	return true
}

// LanguageSwitch watches the thinking and reports when its language changes
// from the one it started in. It detects on windows of the trace, not per
// token, so its cost per token is a few bytes of copying.
type LanguageSwitch struct {
	// Cut makes a switch cut the thinking (reason "hook"); otherwise a
	// switch is only reported.
	Cut bool
	// OnSwitch is told of each switch: from, to, and the step or token count.
	OnSwitch func(from, to string, ev *Event)
	// Window is how many bytes of thinking are read per detection; 0 is 400.
	Window int

	buf      strings.Builder
	first    string
	current  string
	switched bool
}

// WatchOnly implements Watcher: a switch that is only reported never cuts.
func (h *LanguageSwitch) WatchOnly() bool { return !h.Cut }

// OnEvent implements Hook.
func (h *LanguageSwitch) OnEvent(_ context.Context, ev *Event) Decision {
	switch ev.Kind {
	case KindRunStart:
		h.buf.Reset()
		h.first, h.current, h.switched = "", "", false
		return Decision{}
	case KindToken:
	default:
		return Decision{}
	}
	if ev.Phase != PhaseThinking {
		return Decision{}
	}
	h.buf.WriteString(ev.Text)
	w := h.Window
	if w <= 0 {
		w = 400
	}
	if h.buf.Len() < w {
		return Decision{}
	}
	lang := DetectLanguage(h.buf.String())
	h.buf.Reset()
	if !KnownLanguage(lang) {
		return Decision{} // a switch is only between confident labels
	}
	if h.first == "" {
		h.first, h.current = lang, lang
		return Decision{}
	}
	if lang == h.current {
		return Decision{}
	}
	from := h.current
	h.current = lang
	h.switched = true
	if h.OnSwitch != nil {
		h.OnSwitch(from, lang, ev)
	}
	if h.Cut {
		return Decision{Action: Cut, Reason: ReasonHook, Detail: fmt.Sprintf("language switch %s→%s", from, lang)}
	}
	return Decision{}
}

// Switched reports whether the thinking changed language.
func (h *LanguageSwitch) Switched() bool { return h.switched }
