package runner

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
)

// frenchModel thinks and answers in French.
func frenchModel() fakeModel {
	m := defaultModel()
	m.natural = []string{"<think>", "\n", "Il faut additionner deux et deux,", " puis vérifier le résultat avec soin.", "\n",
		"</think>", "\n\n", "La réponse est quatre,", " évidemment."}
	return m
}

func TestRecordLanguages(t *testing.T) {
	for _, tc := range []struct {
		prompt     string
		want       hooks.Languages
		consistent bool
	}{
		{"Combien font deux plus deux ? Réponds avec soin.", hooks.Languages{Prompt: "fr", Thinking: "fr", Answer: "fr"}, true},
		{"What is two plus two? Please answer carefully.", hooks.Languages{Prompt: "en", Thinking: "fr", Answer: "fr"}, false},
		// "2+2?" has no language: it is unknown, and ignored.
		{"2+2?", hooks.Languages{Prompt: hooks.LangUnknown, Thinking: "fr", Answer: "fr"}, true},
	} {
		f := newFakeServer(t, frenchModel())
		r, _ := newTestRunner(f)
		q := thinkReq()
		q.Prompt = tc.prompt
		rec, err := r.Run(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Languages != tc.want || rec.LanguageConsistent != tc.consistent {
			t.Errorf("%q: languages %+v consistent %v, want %+v %v", tc.prompt, rec.Languages, rec.LanguageConsistent, tc.want, tc.consistent)
		}
		b, _ := json.Marshal(rec)
		var top struct {
			Languages  map[string]string `json:"languages"`
			Consistent *bool             `json:"language_consistent"`
		}
		if err := json.Unmarshal(b, &top); err != nil || top.Consistent == nil || *top.Consistent != tc.consistent ||
			top.Languages["prompt"] != tc.want.Prompt || top.Languages["thinking"] != tc.want.Thinking || top.Languages["answer"] != tc.want.Answer {
			t.Errorf("%q: JSON languages %v consistent %v (%v)", tc.prompt, top.Languages, top.Consistent, err)
		}
	}
}

// A failed run still gets the prompt's language.
func TestRecordLanguagesOnError(t *testing.T) {
	r := &Runner{Backend: nil}
	rec, err := r.Run(context.Background(), &Request{Model: "x", Prompt: "Сколько будет дважды два? Ответь подробно."})
	if err == nil {
		t.Fatal("no error without a backend")
	}
	if rec.Languages.Prompt != "ru" || rec.Languages.Thinking != "" {
		t.Errorf("languages %+v", rec.Languages)
	}
}

const frPrefix = "\nJe vais réfléchir en français."

// prefixModel follows the French prefix with a French chain.
func prefixModel() fakeModel {
	m := defaultModel()
	m.after = map[string][]string{
		"Je vais réfléchir en français.": {"\n\n", "Deux", " plus", " deux", " font", " quatre", ".", "\n", "</think>", "\n\n", "Quatre", "."},
	}
	return m
}

func TestRunThinkPrefix(t *testing.T) {
	f := newFakeServer(t, prefixModel())
	r, _ := newTestRunner(f)
	var shown strings.Builder
	r.OnToken = func(ph hooks.Phase, s string) {
		if ph == hooks.PhaseThinking {
			shown.WriteString(s)
		}
	}
	var steps []string
	stepHook := hooks.Func(func(_ context.Context, ev *hooks.Event) hooks.Decision {
		if ev.Kind == hooks.KindStep {
			steps = append(steps, ev.Text)
		}
		return hooks.Decision{}
	})
	q := thinkReq()
	q.ThinkPrefix = frPrefix
	q.Hooks = []hooks.Hook{stepHook}
	rec, err := r.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	want := "Je vais réfléchir en français.\n\nDeux plus deux font quatre."
	if rec.Thinking != want || rec.Answer != "Quatre." {
		t.Errorf("thinking %q answer %q, want %q and Quatre.", rec.Thinking, rec.Answer, want)
	}
	if !strings.HasPrefix(shown.String(), "Je vais réfléchir") {
		t.Errorf("display saw %q: the prefix is part of the shown trace", shown.String())
	}
	// The prefix counts as trace but not as generated tokens.
	if rec.Metrics.ThinkingTokens != 8 {
		t.Errorf("thinking tokens %d, want the 8 generated ones", rec.Metrics.ThinkingTokens)
	}
	if rec.Steps != 2 || len(steps) != 2 || steps[0] != "Je vais réfléchir en français." {
		t.Errorf("steps %d, hook saw %q", rec.Steps, steps)
	}
	for i, req := range f.reqs() {
		if wantP := basePrompt + "<think>" + frPrefix; req.Prompt != wantP {
			t.Errorf("request %d prompt %q, want %q", i, req.Prompt, wantP)
		}
	}
	if rec.Budgets.ThinkPrefix != frPrefix {
		t.Errorf("budgets.think_prefix %q", rec.Budgets.ThinkPrefix)
	}
}

// The thinking budget counts generated tokens only, and the resume after a
// cut keeps the prefix.
func TestRunThinkPrefixBudget(t *testing.T) {
	f := newFakeServer(t, prefixModel())
	r, _ := newTestRunner(f)
	q := thinkReq()
	q.ThinkPrefix = frPrefix
	q.Budgets.MaxThinkTokens = budget.Ptr(3)
	rec, err := r.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.reqs()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want first, resume", len(reqs))
	}
	if np := reqs[0].Options["num_predict"]; np != 3.0 {
		t.Errorf("first pass num_predict %v, want 3 (no opening tag to generate)", np)
	}
	if rec.CutReason != hooks.ReasonTokens || rec.Metrics.ThinkingTokens != 3 {
		t.Errorf("cut %q thinking tokens %d", rec.CutReason, rec.Metrics.ThinkingTokens)
	}
	gen := "<think>" + frPrefix + "\n\nDeux plus"
	if want := cutResumePrompt(gen); reqs[1].Prompt != want {
		t.Errorf("resume prompt %q\nwant %q", reqs[1].Prompt, want)
	}
	if !strings.HasPrefix(rec.Thinking, "Je vais réfléchir en français.\n\nDeux plus") {
		t.Errorf("thinking %q", rec.Thinking)
	}
}

func TestRunThinkPrefixIgnored(t *testing.T) {
	f := newFakeServer(t, defaultModel())
	r, _ := newTestRunner(f)
	q := thinkReq()
	q.Think = budget.Ptr(false)
	q.ThinkPrefix = frPrefix
	f.m.natural = []string{"4", "."}
	rec, _ := r.Run(context.Background(), q)
	if rec.Budgets.ThinkPrefix != "" || len(rec.Warnings) == 0 || !strings.Contains(strings.Join(rec.Warnings, "\n"), "prefix") {
		t.Errorf("think off: prefix %q warnings %q, want it ignored with a warning", rec.Budgets.ThinkPrefix, rec.Warnings)
	}
	for _, req := range f.reqs() {
		if strings.Contains(req.Prompt, "Je vais") {
			t.Errorf("prompt %q holds the ignored prefix", req.Prompt)
		}
	}

	b := &fakeChatBackend{}
	cr := &Runner{Backend: b, Profiles: testProfiles()}
	q = thinkReq()
	q.ThinkPrefix = frPrefix
	rec, err := cr.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Budgets.Path != "chat" || rec.Budgets.ThinkPrefix != "" || !strings.Contains(strings.Join(rec.Warnings, "\n"), "raw path") {
		t.Errorf("chat path: prefix %q warnings %q", rec.Budgets.ThinkPrefix, rec.Warnings)
	}
}

func TestRunSystemNote(t *testing.T) {
	const note = "Réponds en français."
	for _, tc := range []struct {
		system string
		want   string
	}{
		{"", "<|im_start|>system\n" + note + "<|im_end|>\n"},
		{"Be brief.", "<|im_start|>system\nBe brief.\n\n" + note + "<|im_end|>\n"},
	} {
		f := newFakeServer(t, defaultModel())
		r, _ := newTestRunner(f)
		q := thinkReq()
		q.System = tc.system
		q.SystemNote = note
		rec, err := r.Run(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if p := f.reqs()[0].Prompt; p != tc.want+basePrompt {
			t.Errorf("system %q: prompt %q, want %q", tc.system, p, tc.want+basePrompt)
		}
		if rec.Budgets.SystemNote != note {
			t.Errorf("budgets.system_note %q", rec.Budgets.SystemNote)
		}
	}
}

func TestJoinParagraphs(t *testing.T) {
	for _, tc := range [][3]string{
		{"", "b", "b"}, {"a", "", "a"}, {"a\n", "\nb", "a\n\nb"}, {"a", "b", "a\n\nb"},
	} {
		if got := joinParagraphs(tc[0], tc[1]); got != tc[2] {
			t.Errorf("joinParagraphs(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}

// BenchmarkRecordLanguages is the per-run cost of language detection: the
// three detections finish() makes, on realistic sizes (a 300-byte prompt, a
// 12 KB trace, of which 2 KB are read, and a 600-byte answer), in English,
// French and Chinese.
//
//	go test ./runner -run '^$' -bench RecordLanguages -benchmem
func BenchmarkRecordLanguages(b *testing.B) {
	texts := map[string][3]string{
		"en": {
			strings.Repeat("A train leaves the station at nine and travels at sixty miles per hour. ", 4),
			strings.Repeat("Let me work out how far the train goes before the second one catches up with it. ", 150),
			strings.Repeat("The second train catches up after three hours, at one hundred and eighty miles. ", 7),
		},
		"fr": {
			strings.Repeat("Un train quitte la gare à neuf heures et roule à soixante kilomètres par heure. ", 4),
			strings.Repeat("Je dois calculer la distance parcourue avant que le second train ne le rattrape. ", 150),
			strings.Repeat("Le second train le rattrape au bout de trois heures, à cent quatre-vingts kilomètres. ", 7),
		},
		"zh": {
			strings.Repeat("一列火车九点从车站出发，每小时行驶六十公里。", 5),
			strings.Repeat("我需要算出第二列火车追上第一列火车之前，第一列火车走了多远。", 150),
			strings.Repeat("第二列火车三小时后追上，此时距离为一百八十公里。", 9),
		},
	}
	for _, lang := range []string{"en", "fr", "zh"} {
		tx := texts[lang]
		b.Run(lang, func(b *testing.B) {
			lp := hooks.DetectLanguage(tx[0])
			for b.Loop() {
				l := recordLanguages(hooks.DetectLanguage(tx[0]), tx[1], tx[2])
				if l.Thinking != lang || l.Answer != lang || lp != lang {
					b.Fatalf("languages %+v, want %s", l, lang)
				}
			}
		})
	}
}
