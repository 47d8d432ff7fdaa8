package runner

// Segments: the thinking of a raw run is generated in passes that the server
// itself ends, so that a built-in budget never has to close a stream (which
// can wedge Ollama's runner slot, ollama/ollama#17131).
//
//   - A step separator goes to the server as a stop sequence: the pass ends
//     where a step ends, rein puts the separator back (the server strips it)
//     and the step event fires; the step and loop budgets decide there. A
//     step budget does this from the first step; the loop detector once it
//     has seen content come back (LoopDetector.Suspect).
//   - num_predict ends a pass for the token budget (exactly) and for the time
//     budget (the time left × the measured thinking rate).
//   - Every pass continues on the cached prefix: prompt + everything
//     generated so far, so the server evaluates one or two new tokens.
//
// A cut that a built-in budget decides in the middle of a pass (the loop
// detector's n-gram signal, the time budget on a token) waits for the end of
// the pass, which is at most SegmentTokens tokens away. Cuts by other hooks
// (external programs, the language check) and Ctrl-C still close the stream
// at once; the wedge guard (wedge.go) covers those.

import (
	"context"
	"time"

	"github.com/rein-dev/rein/hooks"
)

// PassSegment continues the thinking after a pass that the server ended at
// a step boundary or at a segment's token limit.
const PassSegment = "segment"

// SegmentTokens bounds a thinking pass of a segmented run, so that a cut
// decided in the middle of a pass waits at most this many tokens.
const SegmentTokens = 128

// watchTokens bounds a thinking pass while the loop detector watches and
// suspects nothing yet: a loop whose repeat is longer than this is cut at a
// step boundary, with nothing wasted.
const watchTokens = 32

// firstTimeSegment is the length of the first pass of a run with a time
// budget, before the thinking rate is known.
const firstTimeSegment = 16

// segment is the plan of the current pass.
type segment struct {
	// stop is the step separator sent as a stop sequence, "" for none.
	stop string
	// limit is the pass's own token limit, below the budget's, 0 for none.
	limit int
	// pending is a cut decided during the pass, applied at its end
	// (stopPending).
	pending *hooks.Decision
}

// deferrable reports whether a cut for reason waits for the end of a
// segmented pass rather than closing the stream.
func deferrable(reason string) bool {
	switch reason {
	case hooks.ReasonSteps, hooks.ReasonLoop, hooks.ReasonTime, hooks.ReasonTokens:
		return true
	}
	return false
}

// loopSuspect reports whether the loop detector has seen content come
// back: from then on the passes end at step boundaries, where it decides.
// Until then they are only bounded by SegmentTokens, so a loop cut that
// comes first in the middle of a pass wastes at most that many tokens.
func (rn *run) loopSuspect() bool { return rn.loop != nil && rn.loop.Suspect() }

// stepStop returns the stop sequence that ends a pass at a step boundary,
// "" when the run has no step decision to make or its steps cannot be told
// by one string (sentence and marker steps), or when the user set stop
// sequences of their own, which could not be told from it.
func (rn *run) stepStop() string {
	if rn.chat || !rn.thinkOn || (rn.lim.MaxSteps <= 0 && !rn.probing() && !rn.loopSuspect()) {
		return ""
	}
	if _, ok := rn.opts["stop"]; ok {
		return ""
	}
	switch rn.stepMode {
	case hooks.StepParagraph:
		return "\n\n"
	case hooks.StepLine:
		return "\n"
	}
	return ""
}

// planSegment sets the stop sequence and token limit of a pass of kind whose
// budget allows np tokens, and returns the num_predict to send.
func (rn *run) planSegment(kind string, np int) int {
	rn.seg = segment{}
	thinking := kind == PassFirst || kind == PassSegment || kind == PassWait
	if !thinking || rn.state().Answering() || rn.chat || !rn.thinkOn {
		return np
	}
	rn.seg.stop = rn.stepStop()
	limit := 0
	switch {
	case rn.seg.stop != "":
		limit = SegmentTokens
	case rn.loop != nil:
		// Short passes until the loop detector suspects a loop, so that
		// the passes after it end at step boundaries soon enough.
		limit = watchTokens
	}
	if d := rn.lim.MaxThinkTime; d > 0 {
		n := firstTimeSegment
		if rate := rn.thinkRate(); rate > 0 {
			n = max(1, int((d-rn.thinkClock()).Seconds()*rate))
		}
		if limit == 0 {
			limit = SegmentTokens
		}
		limit = min(limit, n)
	}
	if limit > 0 && limit < np {
		rn.seg.limit = limit
		return limit
	}
	return np
}

// segmented reports whether the current pass ends by itself at a point
// where a deferred cut can apply.
func (rn *run) segmented() bool { return rn.seg.stop != "" || rn.seg.limit > 0 }

// segmentEnd handles the end of a pass that the server ended by itself,
// and returns the kind of the pass that goes on from there: PassSegment
// when the pass ended at its own stop sequence or token limit while the
// model was thinking, PassContinue when it ended with "stop" after the
// model closed its thinking, "" when the pass ended for another reason.
//
// Ollama reports a stop sequence and the end of the sequence alike (done
// reason "stop", one token more in eval_count than it sent), and strips
// the stop. While thinking, rein takes it for the separator, puts it back,
// and the step event fires. After the thinking closed it may be either: the
// next pass goes on without a stop and without the separator, so the model
// writes the separator again, or ends its sequence again at once.
func (rn *run) segmentEnd(ctx context.Context) string {
	p := rn.pass
	if rn.stop != stopNone {
		return ""
	}
	switch {
	case rn.seg.stop != "" && p.DoneReason == "stop" && rn.state().Thinking():
		// A model that ends its sequence while thinking does it again
		// at once; three empty passes in a row mean it stopped.
		if p.Tokens == 0 {
			rn.emptySegments++
			if rn.emptySegments >= 3 {
				return ""
			}
		} else {
			rn.emptySegments = 0
		}
		// The separator's tokens: those the server sampled but did not
		// send. None when the stop ended inside a token whose text
		// before it the server sent ("strawberry." of "strawberry.\n\n").
		rn.separator(ctx, rn.seg.stop, max(p.EvalCount-p.Tokens, 0))
		return PassSegment
	case rn.seg.stop != "" && p.DoneReason == "stop" && rn.state() != StateEnded:
		return PassContinue
	case rn.seg.limit > 0 && p.DoneReason == "length" && p.NumPredict == rn.seg.limit && rn.state().Thinking():
		rn.emptySegments = 0
		return PassSegment
	}
	return ""
}

// separator feeds the separator that the server stripped through the parser
// and the hooks as n tokens of output, so that the step it ends is counted
// and decided on.
func (rn *run) separator(ctx context.Context, sep string, n int) {
	start := len(rn.gen)
	rn.gen = append(rn.gen, sep...)
	rn.spans = append(rn.spans, span{start, len(rn.gen), n})
	rn.pass.Tokens += n
	rn.sepTokens += n
	out := rn.parser.Add(sep)
	rn.consume(ctx, rn.elapsed(), unit{sep, n}, out, start)
}

// deferCut records a cut that applies when the current pass ends: the
// tokens that still arrive in it are wasted.
func (rn *run) deferCut(d hooks.Decision) {
	if rn.stop != stopNone {
		return
	}
	rn.seg.pending = &d
	rn.stop = stopPending
}

// timeSpent reports whether the time budget is spent.
func (rn *run) timeSpent() bool {
	d := rn.lim.MaxThinkTime
	return d > 0 && rn.thinkClock() >= d
}

// thinkClock is the thinking time the time budget counts: the time between
// thinking tokens within each pass, and for the first token of a pass the
// mean gap so far, so that neither the wait in the server's queue nor the
// prompt evaluation of a pass counts as thinking.
func (rn *run) thinkClock() time.Duration { return rn.thinkSpent }

// thinkRate is the measured thinking rate in tokens per second, 0 before
// two tokens have been timed.
func (rn *run) thinkRate() float64 {
	if rn.thinkTimed < 2 || rn.thinkSpent <= 0 {
		return 0
	}
	return float64(rn.thinkTimed) / rn.thinkSpent.Seconds()
}

// tickThinking advances the thinking clock for n thinking tokens that
// arrived at 'at' in the current pass.
func (rn *run) tickThinking(at time.Duration, n int) {
	switch {
	case rn.thinkPassN != len(rn.rec.Passes):
		rn.thinkPassN = len(rn.rec.Passes)
		if rn.thinkTimed > 0 {
			rn.thinkSpent += rn.thinkSpent / time.Duration(rn.thinkTimed) * time.Duration(n)
		}
	default:
		rn.thinkSpent += at - rn.thinkLast
	}
	rn.thinkLast = at
	rn.thinkTimed += n
}
