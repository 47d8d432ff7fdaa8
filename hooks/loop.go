package hooks

import (
	"context"
	"hash/maphash"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Loop signals, as recorded in Decision.Signal and Event.Signal.
const (
	// SignalStep: a step nearly equal to earlier steps.
	SignalStep = "step"
	// SignalNgram: a cycle in the recent thinking tokens.
	SignalNgram = "ngram"
)

const (
	// loopWindow is how many recent thinking tokens the n-gram signal sees.
	loopWindow = 256
	// minPeriod is the shortest token cycle the n-gram signal reports.
	minPeriod = 8
	// nearSteps is how many recent distinct steps a new step is compared
	// with for near-equality.
	nearSteps = 64
	// nearJaccard is the shingle similarity at which two steps are the same.
	nearJaccard = 0.9
	// maxStepKeys bounds the exact-match map.
	maxStepKeys = 1 << 16
)

// A LoopDetector is a Hook that cuts the thinking when it goes round in
// circles. It watches two signals:
//
//   - step: each step's text is normalised (lower case, punctuation dropped,
//     white space collapsed); a step that equals an earlier one, or nearly
//     equals one of the recent ones (Jaccard similarity of word-pair
//     shingles >= 0.9), counts as the same content. When the same content
//     has been seen k times, the first included, it cuts.
//   - ngram: over the last 256 thinking tokens, when the newest tokens form a
//     cycle of period p >= 8 tokens that has been seen k times in a row, it
//     cuts. The longest period it can see is 256/k.
//
// A cut is Decision{Action: Cut, Reason: ReasonLoop, Repeats: n, Signal: s}.
// The work per event does not grow with the length of the trace. A run_start
// event resets the detector. It is not safe for concurrent use.
type LoopDetector struct {
	k    int
	seed maphash.Seed

	// step signal
	exact  map[uint64]*stepCluster
	recent []*stepCluster // ring of the last nearSteps clusters
	next   int            // next slot in recent
	words  []uint64       // scratch: word hashes of the step
	lower  []byte         // scratch: the word being built

	// ngram signal
	ring   [loopWindow]uint64 // token hashes, by token number mod loopWindow
	n      int                // thinking tokens seen
	run    []int              // run[p]: consecutive newest tokens equal to the one p before
	maxPer int

	repeats int
	signal  string
	seen    int // the most times one step's content has been seen
}

// stepCluster is one piece of content and how often it was seen.
type stepCluster struct {
	count    int
	shingles []uint64 // sorted, distinct
}

// NewLoopDetector returns a loop detector that cuts when content has been
// seen k times. k <= 0 disables it (it always answers Continue); k == 1 is
// treated as 2, since content seen once is no loop.
func NewLoopDetector(k int) *LoopDetector {
	if k == 1 {
		k = 2
	}
	l := &LoopDetector{k: k, seed: maphash.MakeSeed()}
	if k > 0 {
		l.maxPer = loopWindow / k
		l.run = make([]int, l.maxPer+1)
		l.exact = make(map[uint64]*stepCluster)
	}
	return l
}

// Repeats reports how many times the looping content had been seen when
// the detector last asked for a cut, or 0 if it has not.
func (l *LoopDetector) Repeats() int { return l.repeats }

// Signal reports which signal fired for the last cut (SignalStep or
// SignalNgram), or "".
func (l *LoopDetector) Signal() string { return l.signal }

// Suspect reports whether some content has come back already: one more
// repeat may be a loop. The runner then ends its passes at step
// boundaries, where the step signal decides.
func (l *LoopDetector) Suspect() bool { return l.k > 0 && (l.k <= 2 || l.seen >= 2) }

// Reset forgets everything seen.
func (l *LoopDetector) Reset() {
	if l.k <= 0 {
		return
	}
	clear(l.exact)
	clear(l.recent)
	l.recent = l.recent[:0]
	l.next = 0
	l.n = 0
	clear(l.run)
	l.repeats, l.signal, l.seen = 0, "", 0
}

// OnEvent implements Hook.
func (l *LoopDetector) OnEvent(_ context.Context, ev *Event) Decision {
	if l.k <= 0 {
		return Decision{}
	}
	switch ev.Kind {
	case KindRunStart:
		l.Reset()
	case KindStep:
		if ev.Phase != PhaseAnswer {
			if n := l.addStep(ev.Text); n >= l.k {
				return l.cut(n, SignalStep)
			}
		}
	case KindToken:
		if ev.Phase == PhaseThinking {
			if n := l.addToken(ev.Text); n >= l.k {
				return l.cut(n, SignalNgram)
			}
		}
	}
	return Decision{}
}

func (l *LoopDetector) cut(n int, signal string) Decision {
	l.repeats, l.signal = n, signal
	return Decision{Action: Cut, Reason: ReasonLoop, Repeats: n, Signal: signal}
}

// addToken records a thinking token. When the newest tokens form a cycle of
// at least minPeriod tokens seen k times, it returns how many times the
// shortest such cycle has been seen; otherwise it returns 0.
func (l *LoopDetector) addToken(text string) int {
	h := maphash.String(l.seed, text)
	t := l.n
	best := 0
	for p := 1; p <= l.maxPer && p <= t; p++ {
		if l.ring[(t-p)%loopWindow] == h {
			l.run[p]++
			if p >= minPeriod && best == 0 && l.run[p] >= p*(l.k-1) {
				best = l.run[p]/p + 1
			}
		} else {
			l.run[p] = 0
		}
	}
	l.ring[t%loopWindow] = h
	l.n++
	return best
}

// addStep records a step and returns how many times its content has been
// seen, this time included, or 0 for a step with no words.
func (l *LoopDetector) addStep(text string) int {
	l.words = l.splitWords(text, l.words[:0])
	if len(l.words) == 0 {
		return 0
	}
	var key uint64
	for _, w := range l.words {
		key = key*0x100000001b3 ^ w
	}
	key ^= uint64(len(l.words))
	if c := l.exact[key]; c != nil {
		c.count++
		l.seen = max(l.seen, c.count)
		return c.count
	}
	sh := shingles(l.words)
	var c *stepCluster
	for _, r := range l.recent {
		if similar(sh, r.shingles) {
			c = r
			break
		}
	}
	if c == nil {
		c = &stepCluster{shingles: sh}
		if len(l.recent) < nearSteps {
			l.recent = append(l.recent, c)
		} else {
			l.recent[l.next] = c
			l.next = (l.next + 1) % nearSteps
		}
	}
	if len(l.exact) < maxStepKeys {
		l.exact[key] = c
	}
	c.count++
	l.seen = max(l.seen, c.count)
	return c.count
}

// splitWords appends the hashes of the lower-cased words of text to dst.
// A word is a run of letters and digits; everything else separates words.
func (l *LoopDetector) splitWords(text string, dst []uint64) []uint64 {
	w := l.lower[:0]
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		i += size
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			w = utf8.AppendRune(w, unicode.ToLower(r))
			continue
		}
		if len(w) > 0 {
			dst = append(dst, maphash.Bytes(l.seed, w))
			w = w[:0]
		}
	}
	if len(w) > 0 {
		dst = append(dst, maphash.Bytes(l.seed, w))
	}
	l.lower = w
	return dst
}

// shingles returns the sorted, distinct hashes of the word pairs of words
// (of the words themselves when there is only one).
func shingles(words []uint64) []uint64 {
	if len(words) == 1 {
		return []uint64{words[0]}
	}
	out := make([]uint64, 0, len(words)-1)
	for i := 0; i+1 < len(words); i++ {
		out = append(out, words[i]*0x9e3779b97f4a7c15+words[i+1]*0xff51afd7ed558ccd+1)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// similar reports whether the Jaccard similarity of two sorted sets is at
// least nearJaccard.
func similar(a, b []uint64) bool {
	na, nb := len(a), len(b)
	if float64(min(na, nb)) < nearJaccard*float64(max(na, nb)) {
		return false // |A∩B|/|A∪B| <= min/max
	}
	inter := 0
	for i, j := 0, 0; i < na && j < nb; {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			inter++
			i++
			j++
		}
	}
	return float64(inter) >= nearJaccard*float64(na+nb-inter)
}
