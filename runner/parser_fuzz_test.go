package runner

import (
	"slices"
	"strings"
	"testing"
)

// fuzzTags are the thinking tags the fuzzer picks from: the families rein
// knows, one of them in non-ASCII brackets.
var fuzzTags = [][2]string{
	{"<think>", "</think>"},
	{"◁think▷", "◁/think▷"},
	{"<|begin_of_thought|>", "<|end_of_thought|>"},
	{"[THINK]", "[/THINK]"},
	{"<seed:think>", "</seed:think>"},
}

// parsed is everything a parser released over a whole output, with tag
// positions made absolute.
type parsed struct {
	thinking, answer string
	tags             []Tag
	state            ParserState
}

// parseChunks feeds chunks to a new parser and flushes it.
func parseChunks(open, close string, state ParserState, forced bool, chunks []string) parsed {
	p := NewParser(open, close, state)
	if forced {
		p.ForceClose()
	}
	var th, an strings.Builder
	var tags []Tag
	off := 0
	for _, c := range chunks {
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
	return parsed{th.String(), an.String(), tags, p.State()}
}

// splitAt cuts s at the byte offsets cuts names (taken modulo len(s)+1,
// sorted), which may fall inside a UTF-8 sequence.
func splitAt(s string, cuts []byte) []string {
	var at []int
	for _, c := range cuts {
		at = append(at, int(c)%(len(s)+1))
	}
	slices.Sort(at)
	var out []string
	prev := 0
	for _, a := range at {
		out = append(out, s[prev:a])
		prev = a
	}
	return append(out, s[prev:])
}

// FuzzParser: however the raw output is cut into chunks (at any byte, inside
// a tag or a UTF-8 sequence), the parser releases the same thinking, answer
// and tags as for the whole output in one chunk, and never panics.
func FuzzParser(f *testing.F) {
	f.Add(uint8(0), uint8(0), false, "\n<think>\nFirst.\n\n</think>\n\nThe answer.", []byte{3, 9, 30})
	f.Add(uint8(0), uint8(0), false, "\u0085<think>\u0085x</think>\u0085y", []byte{1, 10, 22})
	f.Add(uint8(1), uint8(1), false, "◁think▷ a ◁/think▷ b", []byte{1, 2, 12})
	f.Add(uint8(2), uint8(3), true, "\u2028 answer <|begin_of_thought|> more", []byte{1, 4})
	f.Add(uint8(4), uint8(2), false, "  <seed:th", []byte{5})
	f.Fuzz(func(t *testing.T, tag, state uint8, forced bool, raw string, cuts []byte) {
		if len(cuts) > 16 {
			cuts = cuts[:16]
		}
		tg := fuzzTags[int(tag)%len(fuzzTags)]
		st := ParserState(int(state) % int(StateEnded))
		whole := parseChunks(tg[0], tg[1], st, forced, []string{raw})
		chunks := splitAt(raw, cuts)
		got := parseChunks(tg[0], tg[1], st, forced, chunks)
		if got.thinking != whole.thinking || got.answer != whole.answer ||
			!slices.Equal(got.tags, whole.tags) || got.state != whole.state {
			t.Fatalf("chunks %q:\n got thinking %q answer %q tags %v state %v\nwant thinking %q answer %q tags %v state %v",
				chunks, got.thinking, got.answer, got.tags, got.state,
				whole.thinking, whole.answer, whole.tags, whole.state)
		}
		for _, tg := range got.tags {
			if tg.Pos < 0 || tg.Pos > len(raw) {
				t.Fatalf("tag %v outside the output (%d bytes)", tg, len(raw))
			}
		}
		if len(got.thinking)+len(got.answer) > len(raw) {
			t.Fatalf("released %d bytes from %d", len(got.thinking)+len(got.answer), len(raw))
		}
	})
}

// TestParserSplitRune: white space the parser eats (here U+0085, NEL, two
// bytes in UTF-8) is eaten even when a chunk ends inside it; the crasher the
// fuzzer found.
func TestParserSplitRune(t *testing.T) {
	tests := []struct {
		name     string
		state    ParserState
		chunks   []string
		thinking string
		answer   string
	}{
		{"before the opening tag", StateLookingForOpen, []string{"\xc2", "\x85<think>x</think>y"}, "x", "y"},
		{"after the opening tag", StateLookingForOpen, []string{"<think>\xc2", "\x85x</think>y"}, "x", "y"},
		{"before the answer", StateLookingForOpen, []string{"<think>x</think>\xc2", "\x85y"}, "x", "y"},
		{"thinking already open", StateThinkingStart, []string{"\xe2\x80", "\xa8x</think>\u3000", "y"}, "x", "y"},
		{"a torn rune at the end is kept", StateAnswerStart, []string{"\xc2"}, "", "\xc2"},
		{"a torn rune in the thinking is kept", StateThinkingStart, []string{"\xe2\x80"}, "\xe2\x80", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseChunks("<think>", "</think>", tt.state, false, tt.chunks)
			if got.thinking != tt.thinking || got.answer != tt.answer {
				t.Fatalf("thinking %q answer %q, want %q and %q", got.thinking, got.answer, tt.thinking, tt.answer)
			}
		})
	}
}
