package runner

import (
	"slices"
	"strings"
	"testing"
)

// step is one Add call and what it must release.
type step struct {
	in       string
	thinking string
	answer   string
	tags     []Tag
}

func TestParserSteps(t *testing.T) {
	opened := func(pos int) Tag { return Tag{TagOpened, pos} }
	closed := func(pos int) Tag { return Tag{TagClosed, pos} }
	reopened := func(pos int) Tag { return Tag{TagReopened, pos} }

	tests := []struct {
		name        string
		open, close string
		initial     ParserState
		forceAfter  int // call ForceClose after this many steps; 0 never
		steps       []step
		final       ParserState
	}{
		{
			name: "one token each", open: "<think>", close: "</think>",
			steps: []step{
				{in: "<think>", tags: []Tag{opened(0)}},
				{in: "\n"},
				{in: "Step one.", thinking: "Step one."},
				{in: "\n\n", thinking: "\n\n"},
				{in: "</think>", tags: []Tag{closed(0)}},
				{in: "\n\n"},
				{in: "Answer", answer: "Answer"},
				{in: ".", answer: "."},
			},
			final: StateAnswer,
		},
		{
			name: "tags split across chunks", open: "<think>", close: "</think>",
			steps: []step{
				{in: "<thi"},
				{in: "nk>hello </th", thinking: "hello ", tags: []Tag{opened(-4)}},
				{in: "ink> ans", answer: "ans", tags: []Tag{closed(-4)}},
			},
			final: StateAnswer,
		},
		{
			name: "partial close tag that is not one", open: "<think>", close: "</think>",
			steps: []step{
				{in: "<think>a <", thinking: "a ", tags: []Tag{opened(0)}},
				{in: "/b> c", thinking: "</b> c"},
				{in: "<", thinking: ""},
				{in: "/", thinking: ""},
				{in: "x", thinking: "</x"},
			},
			final: StateThinking,
		},
		{
			name: "everything in one chunk", open: "<think>", close: "</think>",
			steps: []step{
				{in: "\n<think>\nx\n</think>\n\ny", thinking: "x\n", answer: "y", tags: []Tag{opened(1), closed(11)}},
			},
			final: StateAnswer,
		},
		{
			name: "no thinking at all", open: "<think>", close: "</think>",
			steps: []step{
				{in: "  "},
				{in: "\n"},
				{in: "Hello", answer: "Hello"},
				{in: " <think>", answer: " <think>"},
			},
			final: StateAnswer,
		},
		{
			name: "output starts with a prefix of the tag", open: "<think>", close: "</think>",
			steps: []step{
				{in: "<th"},
				{in: "ree", answer: "<three"},
			},
			final: StateAnswer,
		},
		{
			name: "thinking already open (DeepSeek-R1)", open: "<think>", close: "</think>", initial: StateThinkingStart,
			steps: []step{
				{in: "\n"},
				{in: "I think", thinking: "I think"},
				{in: "</think>", tags: []Tag{closed(0)}},
				{in: "\n\n"},
				{in: "42", answer: "42"},
			},
			final: StateAnswer,
		},
		{
			name: "mistral tags", open: "[THINK]", close: "[/THINK]",
			steps: []step{
				{in: "[THINK]", tags: []Tag{opened(0)}},
				{in: "Hmm.", thinking: "Hmm."},
				{in: "[/", thinking: ""},
				{in: "THINK]", tags: []Tag{closed(-2)}},
				{in: "Yes", answer: "Yes"},
			},
			final: StateAnswer,
		},
		{
			name: "a reopened tag after a forced close ends the answer", open: "<think>", close: "</think>",
			forceAfter: 1,
			steps: []step{
				{in: "<think>abc", thinking: "abc", tags: []Tag{opened(0)}},
				{in: "\n\nThe answer"}, // answer begins after ForceClose
				{in: " is 4.<th", answer: " is 4."},
				{in: "ink>more", tags: []Tag{reopened(-3)}},
				{in: "ignored"},
			},
			final: StateEnded,
		},
		{
			name: "after a natural close an opening tag is text", open: "<think>", close: "</think>",
			steps: []step{
				{in: "<think>a</think>b", thinking: "a", answer: "b", tags: []Tag{opened(0), closed(8)}},
				{in: "<think>c", answer: "<think>c"},
			},
			final: StateAnswer,
		},
		{
			name: "no tags: everything is answer", open: "", close: "",
			steps: []step{
				{in: "\n<think>x", answer: "<think>x"},
			},
			final: StateAnswer,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParser(tc.open, tc.close, tc.initial)
			for i, s := range tc.steps {
				if tc.forceAfter > 0 && i == tc.forceAfter {
					p.ForceClose()
				}
				out := p.Add(s.in)
				if tc.forceAfter > 0 && i == tc.forceAfter {
					// The answer's leading white space is eaten.
					if out.Answer != "The answer" {
						t.Fatalf("step %d (%q): answer %q, want %q", i, s.in, out.Answer, "The answer")
					}
					continue
				}
				if out.Thinking != s.thinking || out.Answer != s.answer || !slices.Equal(out.Tags, s.tags) {
					t.Fatalf("step %d (%q): got thinking %q answer %q tags %v; want %q %q %v (state %v, held %q)",
						i, s.in, out.Thinking, out.Answer, out.Tags, s.thinking, s.answer, s.tags, p.State(), p.Held())
				}
			}
			if p.State() != tc.final {
				t.Errorf("final state %v, want %v", p.State(), tc.final)
			}
		})
	}
}

func TestParserFlush(t *testing.T) {
	tests := []struct {
		name    string
		chunks  []string
		initial ParserState
		force   bool
		want    Output
		state   ParserState
	}{
		{"partial close tag is thinking", []string{"<think>a</th"}, StateLookingForOpen, false, Output{Thinking: "</th"}, StateThinking},
		{"partial open tag is answer", []string{" <thi"}, StateLookingForOpen, false, Output{Answer: "<thi"}, StateAnswer},
		{"white space only", []string{" \n "}, StateLookingForOpen, false, Output{}, StateLookingForOpen},
		{"white space after open", []string{"<think>\n"}, StateLookingForOpen, false, Output{}, StateThinkingStart},
		{"partial reopen is answer", []string{"x<"}, StateAnswerStart, true, Output{Answer: "<"}, StateAnswer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParser("<think>", "</think>", tc.initial)
			if tc.force {
				p.ForceClose()
			}
			for _, c := range tc.chunks {
				p.Add(c)
			}
			got := p.Flush()
			if got.Thinking != tc.want.Thinking || got.Answer != tc.want.Answer {
				t.Errorf("Flush = %+v, want %+v", got, tc.want)
			}
			if p.State() != tc.state {
				t.Errorf("state %v, want %v", p.State(), tc.state)
			}
			if p.Held() != "" {
				t.Errorf("held %q after Flush", p.Held())
			}
		})
	}
}

// TestParserAnyChunking feeds the same output cut at every byte and checks
// that the result does not depend on where the chunks end.
func TestParserAnyChunking(t *testing.T) {
	const raw = "\n<think>\nFirst, 2+2.\n\nIt is </b> 4 <\n</think>\n\nThe answer is 4."
	const wantThinking = "First, 2+2.\n\nIt is </b> 4 <\n"
	const wantAnswer = "The answer is 4."
	for i := 0; i <= len(raw); i++ {
		for j := i; j <= len(raw); j++ {
			p := NewParser("<think>", "</think>", StateLookingForOpen)
			var th, an strings.Builder
			var tags []Tag
			off := 0
			for _, c := range []string{raw[:i], raw[i:j], raw[j:]} {
				out := p.Add(c)
				th.WriteString(out.Thinking)
				an.WriteString(out.Answer)
				for _, tg := range out.Tags {
					tags = append(tags, Tag{tg.Kind, off + tg.Pos})
				}
				off += len(c)
			}
			out := p.Flush()
			th.WriteString(out.Thinking)
			an.WriteString(out.Answer)
			if th.String() != wantThinking || an.String() != wantAnswer {
				t.Fatalf("cut at %d,%d: thinking %q answer %q", i, j, th.String(), an.String())
			}
			want := []Tag{{TagOpened, 1}, {TagClosed, strings.Index(raw, "</think>")}}
			if !slices.Equal(tags, want) {
				t.Fatalf("cut at %d,%d: tags %v, want %v", i, j, tags, want)
			}
		}
	}
}

func TestInitialState(t *testing.T) {
	tests := []struct {
		prompt string
		want   ParserState
	}{
		{"<|im_start|>assistant\n", StateLookingForOpen},
		{"<｜Assistant｜><think>\n", StateThinkingStart},
		{"<|im_start|>assistant\n<think>\n\n</think>\n\n", StateAnswerStart},
	}
	for _, tc := range tests {
		if got := InitialState(tc.prompt, "<think>", "</think>"); got != tc.want {
			t.Errorf("InitialState(%q) = %v, want %v", tc.prompt, got, tc.want)
		}
	}
	if got := InitialState("x<think>", "", ""); got != StateAnswerStart {
		t.Errorf("no tags: %v", got)
	}
}

// BenchmarkParser measures the parser per token on a typical trace.
func BenchmarkParser(b *testing.B) {
	var toks []string
	toks = append(toks, "<think>", "\n")
	for i := 0; i < 200; i++ {
		toks = append(toks, "Let", " me", " check", " the", " sum", " <", "b", ">", " again", ".", "\n\n")
	}
	toks = append(toks, "</think>", "\n\n", "The", " answer", " is", " 4", ".")
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		p := NewParser("<think>", "</think>", StateLookingForOpen)
		for _, tk := range toks {
			p.Add(tk)
		}
		n += len(toks)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/token")
}
