package hooks

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseStepMode(t *testing.T) {
	tests := []struct {
		in      string
		want    StepMode
		wantErr bool
	}{
		{"paragraph", StepParagraph, false},
		{"", StepParagraph, false},
		{" Line ", StepLine, false},
		{"sentence", StepSentence, false},
		{"MARKER", StepMarker, false},
		{"word", "", true},
		{"paragraphs", "", true},
	}
	for _, tt := range tests {
		got, err := ParseStepMode(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseStepMode(%q) = %q, %v; want %q, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil {
			for _, m := range stepModes {
				if !strings.Contains(err.Error(), string(m)) {
					t.Errorf("error %q does not list %q", err, m)
				}
			}
		}
	}
}

// step is one Write and the steps it must return.
type step struct {
	in   string
	want []string
}

func TestSplitter(t *testing.T) {
	// "д" is 0xD0 0xB4; "等" is 0xE7 0xAD 0x89.
	tests := []struct {
		name  string
		mode  StepMode
		steps []step
		flush string
	}{
		{
			name: "paragraph/simple",
			mode: StepParagraph,
			steps: []step{
				{"First para.\n\nSecond", []string{"First para."}},
				{" para.\n\n", []string{"Second para."}},
			},
			flush: "",
		},
		{
			name: "paragraph/split blank line",
			mode: StepParagraph,
			steps: []step{
				{"One\n", nil},
				{"\nTwo", []string{"One"}},
				{"\n", nil},
				{" \t\r", nil},
				{"\nThree", []string{"Two"}},
			},
			flush: "Three",
		},
		{
			name: "paragraph/single newlines stay",
			mode: StepParagraph,
			steps: []step{
				{"line a\nline b\n", nil},
				{"line c\r\n\r\nnext", []string{"line a\nline b\nline c"}},
			},
			flush: "next",
		},
		{
			name: "paragraph/leading and repeated blank lines give no empty steps",
			mode: StepParagraph,
			steps: []step{
				{"\n\n\n  \n", nil},
				{"A\n\n\n\n\nB\n\n", []string{"A", "B"}},
			},
			flush: "",
		},
		{
			name: "paragraph/mid utf8",
			mode: StepParagraph,
			steps: []step{
				{"Подож\xd0", nil},
				{"\xb4и\n\nдалее", []string{"Подожди"}},
			},
			flush: "далее",
		},
		{
			name: "line",
			mode: StepLine,
			steps: []step{
				{"a\nb", []string{"a"}},
				{"\n\n  \nc\r\nd", []string{"b", "c"}},
			},
			flush: "d",
		},
		{
			name: "sentence/basic",
			mode: StepSentence,
			steps: []step{
				{"Pi is 3.14 roughly. Is it", []string{"Pi is 3.14 roughly."}},
				{"? Yes! ", []string{"Is it?", "Yes!"}},
				{"So", nil},
			},
			flush: "So",
		},
		{
			name: "sentence/terminator at chunk end waits for space",
			mode: StepSentence,
			steps: []step{
				{"Done.", nil},
				{" Next", []string{"Done."}},
				{" one.", nil},
				{"5 is not", nil},
			},
			flush: "Next one.5 is not",
		},
		{
			name: "sentence/abbreviations and closers",
			mode: StepSentence,
			steps: []step{
				{"Use a prime, e.g. 7, i.e. small. ", []string{"Use a prime, e.g. 7, i.e. small."}},
				{`He said "stop." Then`, []string{`He said "stop."`}},
				{" left (quickly.) OK", []string{"Then left (quickly.)"}},
			},
			flush: "OK",
		},
		{
			name: "sentence/list numbers and ellipsis",
			mode: StepSentence,
			steps: []step{
				{"1. Add x.\n2. Add y.\nThe answer is 42. Hmm... ok", []string{"1. Add x.", "2. Add y.", "The answer is 42.", "Hmm..."}},
			},
			flush: "ok",
		},
		{
			name: "sentence/paragraph break",
			mode: StepSentence,
			steps: []step{
				{"no terminator here\n", nil},
				{"\nnext", []string{"no terminator here"}},
			},
			flush: "next",
		},
		{
			name: "sentence/cjk needs no space",
			mode: StepSentence,
			steps: []step{
				{"先算一下。", nil},
				{"然后检查！", []string{"先算一下。"}},
				{"」好", []string{"然后检查！」"}},
			},
			flush: "好",
		},
		{
			name: "marker/english",
			mode: StepMarker,
			steps: []step{
				{"So x = 2. Wait, that is wrong. ", []string{"So x = 2."}},
				{"Waiting is not a marker. Alternatively we", []string{"Wait, that is wrong. Waiting is not a marker."}},
				{" try y. But wait", nil},
				{" no.\nHmm, ok", []string{"Alternatively we try y.", "But wait no."}},
			},
			flush: "Hmm, ok",
		},
		{
			name: "marker/split mid word",
			mode: StepMarker,
			steps: []step{
				{"Compute it. Wa", nil},
				{"i", nil},
				{"t", nil},
				{"! again", []string{"Compute it."}},
				{". Wai", nil},
				{"ter brings food.", nil},
			},
			flush: "Wait! again. Waiter brings food.",
		},
		{
			name: "marker/longest and multiword split mid marker",
			mode: StepMarker,
			steps: []step{
				{"x. Let me", nil},
				{" re-", nil},
				{"check this. Let me think.", []string{"x."}},
				{" actually no", []string{"Let me re-check this. Let me think."}},
			},
			flush: "actually no",
		},
		{
			name: "marker/not at sentence start",
			mode: StepMarker,
			steps: []step{
				{"I wait for it, hmm, and actually it works. ", nil},
				{"**Wait** what?", []string{"I wait for it, hmm, and actually it works."}},
			},
			flush: "**Wait** what?",
		},
		{
			name: "marker/paragraph break still splits",
			mode: StepMarker,
			steps: []step{
				{"first\n\nsecond\n", []string{"first"}},
				{"\n", []string{"second"}},
			},
			flush: "",
		},
		{
			name: "marker/french spanish",
			mode: StepMarker,
			steps: []step{
				{"Donc 4. Mais attends, non. Sinon 5. ", []string{"Donc 4.", "Mais attends, non."}},
				{"Entonces 3. Pero espera. Espera. Alternativamente, 2.", []string{"Sinon 5. Entonces 3.", "Pero espera.", "Espera."}},
			},
			flush: "Alternativamente, 2.",
		},
		{
			name: "marker/russian split mid utf8",
			mode: StepMarker,
			steps: []step{
				{"Итак 4. По", nil},
				{"до\xd0", nil},
				{"\xb6", nil},
				{"ди, нет. Или", []string{"Итак 4."}},
				{"гарх. Или 5.", []string{"Подожди, нет. Илигарх."}},
			},
			flush: "Или 5.",
		},
		{
			name: "marker/chinese",
			mode: StepMarker,
			steps: []step{
				{"答案是4。\xe7\xad", nil},
				{"\x89", nil},
				{"等，不对。等式成立。", []string{"答案是4。"}},
				{"\n嗯，或者是5。不过", []string{"等等，不对。等式成立。", "嗯，或者是5。"}},
			},
			flush: "不过",
		},
		{
			name: "marker/line start",
			mode: StepMarker,
			steps: []step{
				{"a is 1\nActually b", []string{"a is 1"}},
				{"\n- Wait: c", []string{"Actually b"}},
			},
			flush: "- Wait: c",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSplitter(tt.mode)
			for i, st := range tt.steps {
				got := s.Write(st.in)
				if !reflect.DeepEqual(got, st.want) {
					t.Errorf("write %d %q: got %q, want %q", i, st.in, got, st.want)
				}
			}
			if got := s.Flush(); got != tt.flush {
				t.Errorf("flush: got %q, want %q", got, tt.flush)
			}
			if s.Pending() != 0 {
				t.Errorf("pending after flush: %d", s.Pending())
			}
		})
	}
}

// splitAll feeds text to a new splitter in chunks of the given sizes
// (cycling) and returns every step, the final flush included.
func splitAll(mode StepMode, text string, sizes []int) []string {
	s := NewSplitter(mode)
	var out []string
	for i, k := 0, 0; i < len(text); k++ {
		n := min(sizes[k%len(sizes)], len(text)-i)
		out = append(out, s.Write(text[i:i+n])...)
		i += n
	}
	if f := s.Flush(); f != "" {
		out = append(out, f)
	}
	return out
}

// TestSplitterChunking checks that the steps do not depend on how the text
// is chunked: byte by byte (which splits every multi-byte rune) or in odd
// sizes gives the same steps as one write.
func TestSplitterChunking(t *testing.T) {
	texts := []string{
		"Let x = 3.14. Then 2x = 6.28!\n\nWait, is that right? Hmm... yes.\nAlternatively, e.g. x = 1.\n\n\n" +
			"But wait: Let me re-check. Actually fine.\n1. One.\n2. Two.",
		"Итак, 4. Подожди, нет! Погоди. Или 5?\n\nХотя нет. 答案是4。等等，不对。等一下！或者5。不过嗯。\n" +
			"Mais attends. Sinon 3. Pero espera, Espera. «Wait» — “Hmm.” **Actually** no.",
		"no breaks at all just words and words",
	}
	sizes := [][]int{{1}, {2}, {3, 1, 7}, {5, 11}, {64}}
	for _, mode := range stepModes {
		for ti, text := range texts {
			want := splitAll(mode, text, []int{len(text)})
			if len(want) == 0 {
				t.Fatalf("%s text %d: no steps", mode, ti)
			}
			for _, st := range want {
				if !utf8.ValidString(st) || st != strings.TrimSpace(st) || st == "" {
					t.Errorf("%s text %d: bad step %q", mode, ti, st)
				}
			}
			for _, sz := range sizes {
				if got := splitAll(mode, text, sz); !reflect.DeepEqual(got, want) {
					t.Errorf("%s text %d sizes %v:\n got %q\nwant %q", mode, ti, sz, got, want)
				}
			}
		}
	}
}

func TestSplitterReset(t *testing.T) {
	s := NewSplitter(StepMarker)
	s.Write("Some text. Wai")
	s.Reset()
	if got := s.Write("Wait, ok.\n\n"); !reflect.DeepEqual(got, []string{"Wait, ok."}) {
		t.Errorf("after reset got %q", got)
	}
	if NewSplitter("bogus").Mode() != StepParagraph {
		t.Error("unknown mode should fall back to paragraph")
	}
}

// TestSplitterLinear feeds a long trace one byte at a time; a splitter that
// rescanned its buffer on each write would take minutes here.
func TestSplitterLinear(t *testing.T) {
	para := strings.Repeat("word, more words and 3.5 numbers e.g. here ", 6000) // ~260 KB, no break
	for _, mode := range stepModes {
		s := NewSplitter(mode)
		var n int
		for i := 0; i < len(para); i++ {
			n += len(s.Write(para[i : i+1]))
		}
		if n != 0 {
			t.Errorf("%s: %d steps in a text without breaks", mode, n)
		}
		if got := s.Flush(); got != strings.TrimSpace(para) {
			t.Errorf("%s: flush lost text (%d bytes, want %d)", mode, len(got), len(strings.TrimSpace(para)))
		}
	}
}
