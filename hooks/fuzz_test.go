package hooks

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"unicode"
	"unicode/utf8"
)

// splitAtCuts cuts s at the byte offsets cuts names (modulo len(s)+1,
// sorted), which may fall inside a UTF-8 sequence.
func splitAtCuts(s string, cuts []byte) []string {
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

func splitChunks(mode StepMode, chunks []string) []string {
	s := NewSplitter(mode)
	var steps []string
	for _, c := range chunks {
		steps = append(steps, s.Write(c)...)
	}
	if last := s.Flush(); last != "" {
		steps = append(steps, last)
	}
	return steps
}

func dropSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if isBlank(r) || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// FuzzSplitter: the steps do not depend on where the chunks end, are
// trimmed and never empty, and (for valid UTF-8) hold every non-blank
// character of the text, in order.
func FuzzSplitter(f *testing.F) {
	f.Add(uint8(0), "First.\n\nSecond, \u00853.14 e.g. this.\n \nThird", []byte{3, 8, 20})
	f.Add(uint8(1), "a\r\nb\n\nc\u2028d", []byte{1, 2, 3})
	f.Add(uint8(2), "It is 4. Really?! \"Yes.\" 1. No… 好。对！", []byte{5, 9, 33, 40})
	f.Add(uint8(3), "**Wait**, no. Hmm. But wait... 等等，Подожди, Waiting.", []byte{2, 4, 30, 45})
	f.Add(uint8(3), "Let me re", []byte{8})
	f.Fuzz(func(t *testing.T, mode uint8, text string, cuts []byte) {
		if len(cuts) > 16 {
			cuts = cuts[:16]
		}
		m := stepModes[int(mode)%len(stepModes)]
		whole := splitChunks(m, []string{text})
		got := splitChunks(m, splitAtCuts(text, cuts))
		if !slices.Equal(got, whole) {
			t.Fatalf("mode %s, cut at %v: steps %q, in one chunk %q", m, cuts, got, whole)
		}
		for _, s := range got {
			if s == "" || strings.TrimSpace(s) != s {
				t.Fatalf("step %q is empty or untrimmed", s)
			}
		}
		if utf8.ValidString(text) {
			if a, b := dropSpace(strings.Join(got, "")), dropSpace(text); a != b {
				t.Fatalf("steps %q lose or add text: %q, want %q", got, a, b)
			}
		}
	})
}

// FuzzLoopDetector: feeding any tokens and steps never panics, a cut says
// how often the content was seen (at least k) and which signal fired, and
// a run_start forgets everything.
func FuzzLoopDetector(f *testing.F) {
	f.Add(uint8(3), "a b c d e f g h a b c d e f g h a b c d e f g h", "step\nstep\nstep")
	f.Add(uint8(2), "", "Wait.\nwait!\nWAIT")
	f.Add(uint8(0), "x", "")
	f.Add(uint8(1), "1 2 3 4 5 6 7 8 1 2 3 4 5 6 7 8", "\u0085\n\u0085")
	f.Fuzz(func(t *testing.T, k uint8, tokens, steps string) {
		kk := int(k%8) - 1 // -1 .. 6
		l := NewLoopDetector(kk)
		ctx := context.Background()
		check := func(d Decision) {
			if d.Action == Continue {
				return
			}
			min := max(kk, 2)
			if kk <= 0 || d.Action != Cut || d.Reason != ReasonLoop || d.Repeats < min ||
				(d.Signal != SignalStep && d.Signal != SignalNgram) {
				t.Fatalf("k=%d: decision %+v", kk, d)
			}
		}
		for round := range 2 {
			check(l.OnEvent(ctx, &Event{Kind: KindRunStart}))
			if l.Repeats() != 0 || l.Signal() != "" {
				t.Fatalf("round %d: run_start kept repeats %d signal %q", round, l.Repeats(), l.Signal())
			}
			for _, tok := range strings.Fields(tokens) {
				check(l.OnEvent(ctx, &Event{Kind: KindToken, Phase: PhaseThinking, Text: tok}))
			}
			for _, st := range strings.Split(steps, "\n") {
				check(l.OnEvent(ctx, &Event{Kind: KindStep, Phase: PhaseThinking, Text: st}))
			}
		}
	})
}

// FuzzExecReader: whatever an external hook writes on its standard output,
// the reader never panics or stops reading early; when every line is a
// decision (or blank) the last one is the one pending, and otherwise the
// hook is reported once and dropped.
func FuzzExecReader(f *testing.F) {
	f.Add([]byte("{\"action\":\"cut\",\"reason\":\"saw it\"}\n"))
	f.Add([]byte("{\"action\":\"abort\"}\n\n{\"action\":\"continue\"}\n"))
	f.Add([]byte("{\"action\":\"CUT\"}\r\n{\"action\":null}\n"))
	f.Add([]byte("not json\n{\"action\":\"cut\"}"))
	f.Add([]byte("{\"action\":\"jump\"}\n\xff\xfe\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		var errs atomic.Int32
		r := &countingReader{r: bytes.NewReader(out)}
		e := &Exec{name: "fuzz", stdout: io.NopCloser(r), onError: func(error) { errs.Add(1) }}
		e.read()
		if n := errs.Load(); n > 1 {
			t.Fatalf("%d errors reported, want at most 1", n)
		}
		if r.n != len(out) {
			t.Fatalf("read %d of %d bytes: the program could block on its output", r.n, len(out))
		}
		// What the reader should have kept, line by line.
		var want *Decision
		bad := false
		for _, line := range bytes.Split(out, []byte("\n")) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			d, err := parseDecision(line)
			if err != nil {
				bad = true
				break
			}
			if d.Action == Continue {
				want = nil
			} else {
				want = &d
			}
		}
		got := e.pending.Load()
		switch {
		case bad && (errs.Load() != 1 || !e.dropped.Load()):
			t.Fatalf("a bad line was not reported (errors %d, dropped %v)", errs.Load(), e.dropped.Load())
		case !bad && errs.Load() != 0:
			t.Fatalf("good output reported as an error")
		case !bad && (want == nil) != (got == nil), !bad && want != nil && *want != *got:
			t.Fatalf("pending %+v, want %+v", got, want)
		}
	})
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// FuzzParseCommand: any command line either parses to words or fails with
// a message; a line made of simple words parses to those words.
func FuzzParseCommand(f *testing.F) {
	f.Add("sh -c 'sleep 300 & sleep 300'")
	f.Add(`python3 "my hook.py" --x=\"y\" ''`)
	f.Add(`a\`)
	f.Add("\"unterminated")
	f.Add("ünï cödé\t\u0085x")
	f.Fuzz(func(t *testing.T, s string) {
		words, err := ParseCommand(s)
		if err != nil {
			if len(words) != 0 || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q with words %q", err, words)
			}
			return
		}
		if len(words) == 0 {
			t.Fatal("no words and no error")
		}
		if !strings.ContainsAny(s, `'"\`) {
			if want := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }); !slices.Equal(words, want) {
				t.Fatalf("words %q, want %q", words, want)
			}
		}
	})
}
