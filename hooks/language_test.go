package hooks

import (
	"context"
	"strings"
	"testing"
)

func TestDetectLanguage(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"First I add the two numbers, then I check the sum carefully.", "en"},
		{"D'abord j'additionne les deux nombres, puis je vérifie la somme.", "fr"},
		{"Primero sumo los dos números y luego compruebo el resultado.", "es"},
		{"Сначала сложим два числа, а потом проверим сумму.", "ru"},
		{"首先把两个数字加起来，然后检查结果是否正确。", "zh"},
		{"42", LangUnknown},
		{"x = 3.14", LangUnknown},
		// No text: nothing to label.
		{"", ""},
		{" \n\t", ""},
		// Too little text to be sure.
		{"Ok.", LangUnknown},
		{"Hmm, wait.", LangUnknown},
		{"Bon.", LangUnknown},
		{"Да, верно.", LangUnknown},
		{"好的", LangUnknown},
		// Short traces: the trigram model alone got these wrong.
		{"Let me think.\n\nWait, let me re-read the question.", "en"},
		{"Hmm, wait. Let me check again.", "en"},
		{"We need to compute 17 times 23.", "en"},
		{"So the answer is 42.", "en"},
		{"Bon, je vais réfléchir.", "fr"},
		{"Attends, je relis la question.", "fr"},
		{"Хорошо, подумаем ещё раз.", "ru"},
		{"Сначала сложим два числа.", "ru"},
		{"Спочатку додамо два числа, і перевіримо.", "uk"},
		{"好的，我来想一想。", "zh"},
		{"首先计算17乘以23。", "zh"},
		// Unsure, rather than wrong.
		{"Strawberry: s-t-r-a-w-b-e-r-r-y", LangUnknown},
		{"Paris, London, Berlin, Madrid", LangUnknown},
		{"func main() { fmt.Println(x) }", LangUnknown},
		{"Мы приехали в Київ вчера", LangUnknown},
		// Short traces of each language a test names (issue 18).
		{"Okay, so the user wants the sum. Let me add them.", "en"},
		{"Donc il faut trouver la somme. Je vais les additionner.", "fr"},
		{"Итак, нужно найти сумму. Сложим их.", "ru"},
		{"所以需要求和。我把它们加起来。", "zh"},
	} {
		if got := DetectLanguage(tc.text); got != tc.want {
			t.Errorf("DetectLanguage(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestLanguagesConsistent(t *testing.T) {
	for _, tc := range []struct {
		l    Languages
		want bool
	}{
		{Languages{"en", "en", "en"}, true},
		{Languages{"fr", "", "fr"}, true},
		{Languages{"", "", ""}, true},
		{Languages{"ru", "en", "ru"}, false},
		{Languages{"zh", "zh", ""}, true},
		{Languages{"en", LangUnknown, "en"}, true},
		{Languages{LangUnknown, "fr", "fr"}, true},
		{Languages{LangUnknown, "fr", "de"}, false},
	} {
		if got := tc.l.Consistent(); got != tc.want {
			t.Errorf("%+v.Consistent() = %v, want %v", tc.l, got, tc.want)
		}
	}
}

func TestLanguageSwitch(t *testing.T) {
	en := strings.Repeat("First I add the two numbers and then I check the sum. ", 10)
	ru := strings.Repeat("Теперь я проверю ответ ещё раз по-русски. ", 12)
	for _, cut := range []bool{false, true} {
		var from, to string
		h := &LanguageSwitch{Cut: cut, OnSwitch: func(f, t string, _ *Event) { from, to = f, t }}
		ctx := context.Background()
		h.OnEvent(ctx, &Event{Kind: KindRunStart})
		var last Decision
		for _, w := range strings.SplitAfter(en+ru, " ") {
			d := h.OnEvent(ctx, &Event{Kind: KindToken, Phase: PhaseThinking, Text: w})
			if d.Action != Continue {
				last = d
			}
		}
		if !h.Switched() || from != "en" || to != "ru" {
			t.Errorf("cut=%v: switched %v %q→%q, want en→ru", cut, h.Switched(), from, to)
		}
		if cut && (last.Action != Cut || last.Reason != ReasonHook) {
			t.Errorf("cut=true: decision %+v, want a hook cut", last)
		}
		if !cut && last.Action != Continue {
			t.Errorf("cut=false: decision %+v, want continue", last)
		}
	}
}

// TestLanguageSwitchConfident: a switch is reported only between languages
// the detector is sure of; a window it cannot tell (a formula, a list of
// names, a short line the trigram model reads as French) is no switch.
func TestLanguageSwitchConfident(t *testing.T) {
	en := strings.Repeat("First I add the two numbers and then I check the sum. ", 10)
	tests := []struct {
		name    string
		trace   string
		switch_ string // "from→to", or ""
	}{
		{"English throughout", en + strings.Repeat("Let me think.\n\nWait, let me re-read the question. ", 9) + en, ""},
		{"a formula between", en + strings.Repeat("x = 17 * 23 = 391; 391 / 23 = 17; ", 13) + en, ""},
		{"names between", en + strings.Repeat("Paris, Lyon, Marseille, Toulouse, Nice. ", 11) + en, ""},
		{"to French", en + strings.Repeat("Attends, je vais vérifier la somme une fois de plus. ", 9), "en→fr"},
		{"to Chinese", en + strings.Repeat("等等，我再检查一下这个和是否正确。", 9), "en→zh"},
		// The first confident label is where a trace starts from.
		{"unsure, then English, then Russian", strings.Repeat("x = 17 * 23 = 391; ", 25) + en + strings.Repeat("Теперь я проверю ответ ещё раз по-русски. ", 12), "en→ru"},
		{"unsure windows only", strings.Repeat("x = 17 * 23 = 391; 391 / 23 = 17; ", 40), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			h := &LanguageSwitch{OnSwitch: func(f, to string, _ *Event) {
				if got == "" {
					got = f + "→" + to
				}
			}}
			ctx := context.Background()
			h.OnEvent(ctx, &Event{Kind: KindRunStart})
			for _, w := range strings.SplitAfter(tt.trace, " ") {
				h.OnEvent(ctx, &Event{Kind: KindToken, Phase: PhaseThinking, Text: w})
			}
			if got != tt.switch_ {
				t.Errorf("switch %q, want %q", got, tt.switch_)
			}
		})
	}
}

func BenchmarkDetectLanguage(b *testing.B) {
	text := strings.Repeat("First I add the two numbers and then I check the sum. ", 40)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		DetectLanguage(text)
	}
}

// BenchmarkLanguageSwitch is the per-token cost of the LanguageSwitch hook
// that `rein run` runs by default (--on-language-switch warn): it detects
// on 400-byte windows, so the cost per token is the window's detection
// spread over the window's tokens.
//
//	go test ./hooks -run '^$' -bench LanguageSwitch -benchmem
func BenchmarkLanguageSwitch(b *testing.B) {
	tr := newTrace(7, 10000)
	ctx := context.Background()
	h := &LanguageSwitch{}
	ev := Event{RunID: "bench", Phase: PhaseThinking}
	b.ReportAllocs()
	for b.Loop() {
		ev.Kind = KindRunStart
		h.OnEvent(ctx, &ev)
		ev.Kind = KindToken
		for _, tok := range tr.tokens {
			ev.Text = tok
			h.OnEvent(ctx, &ev)
		}
		if h.Switched() {
			b.Fatal("an English trace switched language")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(tr.tokens)), "ns/token")
}
