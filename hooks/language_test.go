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
		{"42", ""},
		{"x = 3.14", ""},
		{"", ""},
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
