package hooks

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func stepEv(text string) *Event {
	return &Event{Kind: KindStep, Phase: PhaseThinking, Text: text}
}

func tokEv(text string) *Event {
	return &Event{Kind: KindToken, Phase: PhaseThinking, Text: text}
}

// words returns n distinct words starting at w.
func words(w, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("w%d", w+i)
	}
	return out
}

func TestLoopDetectorSteps(t *testing.T) {
	long := words(0, 50)
	nearly := append([]string(nil), long...)
	nearly[25] = "changed" // 47 of 51 shingles shared: Jaccard 0.92
	farther := append([]string(nil), long...)
	farther[10], farther[30] = "x", "y" // 45 of 53: 0.85
	tests := []struct {
		name    string
		k       int
		steps   []string
		cutAt   int // index of the step that must cut, -1 for none
		repeats int
	}{
		{"exact k=3", 3, []string{"Let x be 2.", "So y is 4.", "Let x be 2.", "Then z.", "Let x be 2."}, 4, 3},
		{"exact k=2", 2, []string{"a b c", "d e f", "a b c"}, 2, 2},
		{"case punctuation space", 3, []string{"Wait, x = 2?", "wait x  =  2", "WAIT:\n x=2!"}, 2, 3},
		{"distinct never cut", 3, []string{"one two", "two three", "three four", "four five", "one two three"}, -1, 0},
		{"numbers differ", 2, []string{"x is 3", "x is 4", "x is 5"}, -1, 0},
		{"near equal", 3, []string{strings.Join(long, " "), "other", strings.Join(nearly, " "), strings.Join(long, ", ")}, 3, 3},
		{"not near enough", 2, []string{strings.Join(long, " "), strings.Join(farther, " ")}, -1, 0},
		{"empty steps ignored", 2, []string{"...", "---", "...", "ok"}, -1, 0},
		{"disabled", 0, []string{"a", "a", "a", "a"}, -1, 0},
		{"k=1 means 2", 1, []string{"a", "b", "a"}, 2, 2},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLoopDetector(tt.k)
			for i, s := range tt.steps {
				d := l.OnEvent(ctx, stepEv(s))
				if i == tt.cutAt {
					want := Decision{Action: Cut, Reason: ReasonLoop, Repeats: tt.repeats, Signal: SignalStep}
					if d != want {
						t.Fatalf("step %d: got %+v, want %+v", i, d, want)
					}
					if l.Repeats() != tt.repeats || l.Signal() != SignalStep {
						t.Errorf("Repeats() = %d, Signal() = %q", l.Repeats(), l.Signal())
					}
					return
				}
				if d.Action != Continue {
					t.Fatalf("step %d %q: unexpected %+v", i, s, d)
				}
			}
			if tt.cutAt >= 0 {
				t.Fatal("no cut")
			}
			if l.Repeats() != 0 {
				t.Errorf("Repeats() = %d without a cut", l.Repeats())
			}
		})
	}
}

func TestLoopDetectorIgnores(t *testing.T) {
	ctx := context.Background()
	l := NewLoopDetector(2)
	ans := &Event{Kind: KindStep, Phase: PhaseAnswer, Text: "same"}
	l.OnEvent(ctx, ans)
	if d := l.OnEvent(ctx, ans); d.Action != Continue {
		t.Errorf("answer-phase steps: %+v", d)
	}
	l.OnEvent(ctx, stepEv("same again"))
	l.OnEvent(ctx, &Event{Kind: KindRunStart})
	if d := l.OnEvent(ctx, stepEv("same again")); d.Action != Continue {
		t.Errorf("run_start did not reset: %+v", d)
	}
	for i := 0; i < 100; i++ {
		ev := &Event{Kind: KindToken, Phase: PhaseAnswer, Text: fmt.Sprint(i % 10)}
		if d := l.OnEvent(ctx, ev); d.Action != Continue {
			t.Fatalf("answer tokens: %+v", d)
		}
	}
}

func TestLoopDetectorNgram(t *testing.T) {
	cycle := func(p int) []string { return words(1000, p) }
	tests := []struct {
		name    string
		k       int
		prefix  int      // distinct tokens before the cycle
		cycle   []string // repeated forever
		cutAt   int      // index in the cycle part of the token that cuts, -1: none within 300 tokens
		repeats int
	}{
		{"period 10 k=3", 3, 37, cycle(10), 29, 3},
		{"period 8 k=2", 2, 0, cycle(8), 15, 2},
		{"period 40 k=3", 3, 5, cycle(40), 119, 3},
		{"period 85 k=3 (longest)", 3, 5, cycle(85), 254, 3},
		{"period 86 k=3 too long", 3, 5, cycle(86), -1, 0},
		{"period 4 seen as 8", 3, 0, cycle(4), 23, 3},
		{"period 7 k=2 seen as 14", 2, 3, cycle(7), 27, 2},
		{"disabled", 0, 0, cycle(10), -1, 0},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLoopDetector(tt.k)
			for i := 0; i < tt.prefix; i++ {
				if d := l.OnEvent(ctx, tokEv(fmt.Sprintf("p%d", i))); d.Action != Continue {
					t.Fatalf("prefix token %d: %+v", i, d)
				}
			}
			for i := 0; i < 300; i++ {
				d := l.OnEvent(ctx, tokEv(tt.cycle[i%len(tt.cycle)]))
				if i == tt.cutAt {
					want := Decision{Action: Cut, Reason: ReasonLoop, Repeats: tt.repeats, Signal: SignalNgram}
					if d != want {
						t.Fatalf("token %d: got %+v, want %+v", i, d, want)
					}
					if l.Signal() != SignalNgram || l.Repeats() != tt.repeats {
						t.Errorf("Signal() = %q, Repeats() = %d", l.Signal(), l.Repeats())
					}
					return
				}
				if d.Action != Continue {
					t.Fatalf("token %d: early %+v", i, d)
				}
			}
			if tt.cutAt >= 0 {
				t.Fatal("no cut")
			}
		})
	}
}

// TestLoopDetectorProse checks that ordinary varied text, with its common
// short words, does not look like a loop.
func TestLoopDetectorProse(t *testing.T) {
	ctx := context.Background()
	l := NewLoopDetector(3)
	tr := newTrace(1, 20000)
	for i, tok := range tr.tokens {
		if d := l.OnEvent(ctx, tokEv(tok)); d.Action != Continue {
			t.Fatalf("token %d: %+v", i, d)
		}
	}
	for i, s := range tr.steps {
		if d := l.OnEvent(ctx, stepEv(s)); d.Action != Continue {
			t.Fatalf("step %d %q: %+v", i, s, d)
		}
	}
}
