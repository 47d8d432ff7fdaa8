package hooks

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// trace is a synthetic thinking trace: tokens as a model would stream them,
// and the paragraphs they form.
type trace struct {
	tokens []string
	steps  []string
}

var traceWords = strings.Fields(`
the a of to and in is that it for we so if then this be as with not by on
are at from or an but can which should let me check compute value number
sum product answer equation term factor prime root square cube integer
fraction ratio result step case first second third next last since because
therefore thus hence maybe perhaps consider assume suppose given known
unknown variable constant function derivative integral limit series bound
estimate verify again carefully simplify expand multiply divide subtract
add both sides left right side total each every some none all many few
probability expected count ways choose arrange order pairs triples even odd
positive negative zero one two three four five six seven eight nine ten
hundred thousand modulo remainder digit digits base power exponent log
triangle circle angle radius area perimeter length width height volume
point line plane vector matrix determinant eigenvalue graph vertex edge
path cycle tree node color paint tile grid board move player win lose game
wait hmm actually alternatively right wrong correct mistake earlier later
`)

// newTrace returns a deterministic trace of about n tokens: sentences of
// varied words, some split into two tokens, with numbers and punctuation,
// in paragraphs of a few sentences.
func newTrace(seed uint64, n int) trace {
	rng := rand.New(rand.NewPCG(seed, 42))
	var tr trace
	var para strings.Builder
	for len(tr.tokens) < n {
		sentences := 1 + rng.IntN(5)
		for s := 0; s < sentences && len(tr.tokens) < n; s++ {
			nw := 4 + rng.IntN(18)
			for w := 0; w < nw; w++ {
				var word string
				if rng.IntN(12) == 0 {
					word = fmt.Sprint(rng.IntN(10000))
				} else {
					word = traceWords[rng.IntN(len(traceWords))]
				}
				if w == 0 {
					word = strings.ToUpper(word[:1]) + word[1:]
				}
				if s > 0 || w > 0 {
					word = " " + word
				}
				if len(word) > 6 && rng.IntN(3) == 0 {
					cut := 3 + rng.IntN(len(word)-5)
					tr.tokens = append(tr.tokens, word[:cut], word[cut:])
				} else {
					tr.tokens = append(tr.tokens, word)
				}
				para.WriteString(word)
				if w < nw-1 && rng.IntN(10) == 0 {
					tr.tokens = append(tr.tokens, ",")
					para.WriteString(",")
				}
			}
			end := [...]string{".", ".", ".", "?", "!"}[rng.IntN(5)]
			tr.tokens = append(tr.tokens, end)
			para.WriteString(end)
		}
		tr.tokens = append(tr.tokens, "\n\n")
		tr.steps = append(tr.steps, para.String())
		para.Reset()
	}
	return tr
}

// BenchmarkChain runs the built-in chain the runner uses, per thinking
// token: the step splitter, the loop detector and the budgets, on traces of
// growing length. ns/token should stay flat.
func BenchmarkChain(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		tr := newTrace(7, n)
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			ctx := context.Background()
			split := NewSplitter(StepParagraph)
			loop := NewLoopDetector(3)
			chain := Chain{loop, MaxSteps(1 << 30), MaxThinkTokens(1 << 30), MaxThinkTime(time.Hour)}
			ev := Event{RunID: "bench", Phase: PhaseThinking}
			b.ReportAllocs()
			for b.Loop() {
				split.Reset()
				ev.Seq, ev.ThinkingTokens, ev.Steps = 0, 0, 0
				ev.Kind = KindRunStart
				chain.OnEvent(ctx, &ev)
				for i, tok := range tr.tokens {
					ev.Seq++
					ev.Kind, ev.Text = KindToken, tok
					ev.ThinkingTokens++
					ev.Elapsed = time.Duration(i) * 20 * time.Millisecond
					if d := chain.OnEvent(ctx, &ev); d.Action != Continue {
						b.Fatalf("token %d: %+v", i, d)
					}
					for _, st := range split.Write(tok) {
						ev.Seq++
						ev.Steps++
						ev.Kind, ev.Text, ev.Step = KindStep, st, ev.Steps
						if d := chain.OnEvent(ctx, &ev); d.Action != Continue {
							b.Fatalf("step %d: %+v", ev.Steps, d)
						}
					}
				}
				split.Flush()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(tr.tokens)), "ns/token")
		})
	}
}
