package runner

// The handling of streamed chunks: token units, the parser, the hooks, and
// the cut, resume and "Wait" that they lead to.

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/hooks"
)

// unit is a run of tokens handled as one: a single token, or a few that
// together make valid UTF-8, or a whole chunk when it cannot be split.
type unit struct {
	text string
	n    int
}

// tokenUnits splits a chunk into units using its logprobs (one entry per
// sampled token). exact reports whether the token count is exact.
func tokenUnits(text string, lps []api.Logprob) (units []unit, exact bool) {
	if len(lps) == 0 {
		if text == "" {
			return nil, true
		}
		return []unit{{text, 1}}, false
	}
	var sb strings.Builder
	for _, lp := range lps {
		sb.WriteString(lp.Token)
	}
	if sb.String() != text {
		return []unit{{text, len(lps)}}, true
	}
	start, n := 0, 0
	off := 0
	for _, lp := range lps {
		off += len(lp.Token)
		n++
		if utf8.ValidString(text[start:off]) {
			units = append(units, unit{text[start:off], n})
			start, n = off, 0
		}
	}
	if n > 0 {
		units = append(units, unit{text[start:], n})
	}
	return units, true
}

// span is where a kept unit lies in gen.
type span struct{ start, end, n int }

// onChunk handles one chunk of a raw pass.
func (rn *run) onChunk(ctx context.Context, text string, lps []api.Logprob, done bool, reason string, m api.Metrics) {
	at := rn.elapsed()
	units, exact := tokenUnits(text, lps)
	if !exact {
		rn.exact = false
	}
	for _, u := range units {
		rn.pass.Tokens += u.n
		if rn.stop != stopNone {
			rn.pass.Wasted += u.n
			continue
		}
		start := len(rn.gen)
		rn.gen = append(rn.gen, u.text...)
		if len(rn.spans) >= 256 {
			rn.spans = append(rn.spans[:0], rn.spans[len(rn.spans)-32:]...)
		}
		rn.spans = append(rn.spans, span{start, len(rn.gen), u.n})
		out := rn.parser.Add(u.text)
		rn.consume(ctx, at, u, out, start)
	}
	if done {
		rn.final(m, reason)
	}
}

// onChatChunk handles one chunk of a chat pass.
func (rn *run) onChatChunk(ctx context.Context, resp api.ChatResponse) {
	at := rn.elapsed()
	if len(resp.Message.ToolCalls) > 0 && rn.stop == stopNone {
		rn.rec.ToolCalls = append(rn.rec.ToolCalls, resp.Message.ToolCalls...)
	}
	th, an := resp.Message.Thinking, resp.Message.Content
	var units []unit
	exact := true
	switch {
	case th != "" && an == "":
		units, exact = tokenUnits(th, resp.Logprobs)
	case an != "" && th == "":
		units, exact = tokenUnits(an, resp.Logprobs)
	case th != "" || len(resp.Logprobs) > 0:
		n := len(resp.Logprobs)
		if n == 0 {
			n, exact = 1, false
		}
		units = []unit{{th + an, n}}
	}
	if !exact {
		rn.exact = false
	}
	for _, u := range units {
		rn.pass.Tokens += u.n
		if rn.stop != stopNone {
			rn.pass.Wasted += u.n
			continue
		}
		var out Output
		uth, uan := "", ""
		switch {
		case th != "" && an != "":
			uth, uan = th, an
		case th != "":
			uth = u.text
		default:
			uan = u.text
		}
		if uth != "" {
			if rn.chatState == StateLookingForOpen {
				out.Tags = append(out.Tags, Tag{Kind: TagOpened})
			}
			if rn.chatState.Answering() {
				// Thinking after the answer began: keep it with the answer.
				uan, uth = uth+uan, ""
			} else {
				rn.chatState = StateThinking
			}
		}
		if uan != "" {
			if rn.chatState.Thinking() {
				out.Tags = append(out.Tags, Tag{Kind: TagClosed})
			}
			rn.chatState = StateAnswer
		}
		out.Thinking, out.Answer = uth, uan
		rn.consume(ctx, at, u, out, 0)
	}
	if resp.Done {
		rn.final(resp.Metrics, resp.DoneReason)
	}
}

// final records a pass's final chunk.
func (rn *run) final(m api.Metrics, reason string) {
	rn.done = true
	p := rn.pass
	setServerFigures(p, m, reason)
	if rn.stop != stopNone {
		return
	}
	// Without logprobs the count is one per chunk; reconcile with the
	// server's, which also counts an end-of-sequence token.
	if !rn.exact {
		missing := m.EvalCount - p.Tokens
		if reason == "stop" {
			missing--
		}
		if missing > 0 {
			p.Tokens += missing
			rn.keptN += missing
			rn.passKept += missing
			switch rn.lastPhase {
			case hooks.PhaseThinking:
				rn.thinkN += missing
			case hooks.PhaseAnswer:
				rn.answerN += missing
			}
		}
	}
}

// consume handles one unit of output: counters, steps, events, decisions.
// start is the unit's offset in gen (raw path).
func (rn *run) consume(ctx context.Context, at time.Duration, u unit, out Output, start int) {
	rn.keptN += u.n
	rn.passKept += u.n
	if !rn.haveTok {
		rn.firstTok, rn.haveTok = at, true
	}
	var dec hooks.Decision
	decide := func(d hooks.Decision) {
		if dec.Action == hooks.Continue && d.Action != hooks.Continue {
			dec = d
		}
	}

	// Which phase the tokens belong to. Tag tokens belong to neither, and
	// nor does white space before the answer; white space after the
	// opening tag is thinking, so that num_predict counts it.
	st := rn.state()
	thinkN, answerN := 0, 0
	switch {
	case out.Thinking != "" && out.Answer != "" && u.n > 1:
		thinkN, answerN = u.n-1, 1
	case out.Thinking != "":
		thinkN = u.n
	case out.Answer != "":
		answerN = u.n
	case len(out.Tags) > 0:
	case st.Thinking():
		thinkN = u.n
	case st == StateAnswer:
		answerN = u.n
	}

	var steps []string
	if out.Thinking != "" {
		rn.thinking.WriteString(out.Thinking)
		rn.display(hooks.PhaseThinking, out.Thinking)
		steps = rn.splitter.Write(out.Thinking)
	}
	closed := out.Has(TagClosed)
	if closed {
		if s := rn.splitter.Flush(); s != "" {
			steps = append(steps, s)
		}
	}
	if thinkN > 0 {
		rn.thinkN += thinkN
		rn.lastPhase = hooks.PhaseThinking
		rn.tokenTimes(at, thinkN)
		rn.tickThinking(at, thinkN)
		if !rn.haveThink {
			rn.firstThink, rn.haveThink = at, true
		}
		rn.lastThink = at
		decide(rn.emit(ctx, hooks.KindToken, hooks.PhaseThinking, u.text, at))
	} else if u.n == 0 && out.Thinking != "" {
		// Text with no token of its own: a step separator the server
		// stripped from the end of a token it sent (segment.go). Hooks
		// still see it, so that the token events spell the trace.
		decide(rn.emit(ctx, hooks.KindToken, hooks.PhaseThinking, u.text, at))
	}
	for _, s := range steps {
		rn.steps++
		decide(rn.emit(ctx, hooks.KindStep, hooks.PhaseThinking, s, at))
	}

	if dec.Action == hooks.Abort {
		rn.rec.CutDetail = dec.Detail
		rn.stopWith(stopAbort, abortText(dec))
		return
	}

	// A thinking closed too early is reopened (MinSteps).
	if closed && rn.wantWait() {
		tag := out.Tags[0]
		for _, t := range out.Tags {
			if t.Kind == TagClosed {
				tag = t
			}
		}
		rn.cutPos = start + tag.Pos
		rn.pass.Wasted += u.n - thinkN
		rn.keptN -= u.n - thinkN
		rn.passKept -= u.n - thinkN
		rn.stopWith(stopWait, "")
		return
	}

	if answerN > 0 {
		if !rn.answered {
			rn.answered = true
			decide(rn.emit(ctx, hooks.KindAnswerStart, hooks.PhaseAnswer, out.Answer, at))
		}
		rn.answerN += answerN
		rn.lastPhase = hooks.PhaseAnswer
		rn.tokenTimes(at, answerN)
		if !rn.haveAns {
			rn.firstAns, rn.haveAns = at, true
		}
		rn.lastAns = at
		decide(rn.emit(ctx, hooks.KindToken, hooks.PhaseAnswer, u.text, at))
	}
	if out.Answer != "" {
		rn.answer.WriteString(out.Answer)
		rn.display(hooks.PhaseAnswer, out.Answer)
	}
	if out.Has(TagReopened) {
		if thinkN+answerN == 0 {
			rn.pass.Wasted += u.n
			rn.keptN -= u.n
			rn.passKept -= u.n
		}
		rn.stopWith(stopEnded, "")
		return
	}

	switch dec.Action {
	case hooks.Abort:
		rn.rec.CutDetail = dec.Detail
		rn.stopWith(stopAbort, abortText(dec))
		return
	case hooks.Cut:
		// Cuts apply to the thinking only.
		if rn.state().Thinking() {
			reason := dec.Reason
			if reason == "" {
				reason = hooks.ReasonHook
			}
			if rn.segmented() && deferrable(reason) {
				// The pass ends by itself soon: the cut waits for it,
				// and what still comes is wasted.
				d := dec
				d.Reason = reason
				rn.deferCut(d)
				return
			}
			rn.stopWith(stopCut, reason)
			rn.rec.CutDetail = dec.Detail
			if d := rn.cut(ctx, reason, dec.Repeats, dec.Signal); d.Action == hooks.Abort {
				rn.stop, rn.stopMsg = stopAbort, abortText(d)
			}
			return
		}
	}
	if rn.answerCap && rn.answerN >= rn.lim.MaxAnswerTokens {
		rn.stopWith(stopAnswer, "")
	}
}

// wantWait reports whether a model that just closed its thinking must
// think on, and can.
func (rn *run) wantWait() bool {
	if rn.chat || !rn.thinkOn || rn.lim.MinSteps <= 0 || rn.steps >= rn.lim.MinSteps || rn.waits >= min(rn.lim.MinSteps, maxWaitPasses) {
		return false
	}
	if rn.lim.MaxThinkTokens > 0 && rn.thinkN >= rn.lim.MaxThinkTokens {
		return false
	}
	return rn.maxTokens-rn.keptN-rn.lim.MaxAnswerTokens > 0
}

// abortText is what an abort says after "aborted by hook: ": the hook's
// own words (Decision.Detail) when it gave some, else its reason.
func abortText(d hooks.Decision) string {
	switch {
	case d.Detail != "":
		return d.Detail
	case d.Reason != "":
		return d.Reason
	}
	return hooks.ReasonHook
}

// stopWith decides that the current pass stops: the stream's callback
// then returns errStopPass, which ends the stream as ollama's client ends
// one (doPass). The decision travels in rn.stop, read once the pass ends.
func (rn *run) stopWith(k stopKind, msg string) {
	if rn.stop != stopNone {
		return
	}
	rn.stop, rn.stopMsg = k, msg
}

// errStopPass is what a pass's callback returns to end its stream once
// the run decided to stop it (stopWith); doPass takes it for no error.
var errStopPass = errors.New("pass stopped by the run")

// closing reports whether the pass's stream must end now: a decision to
// stop it, other than a cut that waits for the pass's own end.
func (rn *run) closing() bool { return rn.stop != stopNone && rn.stop != stopPending }

// cut records a cut and sends the cut event.
func (rn *run) cut(ctx context.Context, reason string, repeats int, signal string) hooks.Decision {
	rn.rec.CutReason = reason
	if reason == hooks.ReasonLoop {
		rn.rec.LoopRepeats, rn.rec.LoopSignal = repeats, signal
	}
	return rn.emit(ctx, hooks.KindCut, hooks.PhaseThinking, reason, rn.elapsed())
}

// beginResume prepares the answer pass after a cut: the trace so far, the
// budget message and the closing tag.
func (rn *run) beginResume() {
	rn.flushThinking()
	msg := rn.budgetMsg
	if rn.rec.CutReason == hooks.ReasonSettled {
		// The answer probes saw the trace and the closing tag alone, and
		// the answer had settled there: the resume asks the same, so that
		// the answer is the one they agreed on (a budget message they
		// never saw once changed it in 33 of 171 settled runs of the tiny
		// reasoner) and the probe's prefix is in the server's cache.
		msg = ""
	}
	rn.path.resume(rn, msg)
}

// inject appends text to gen after the kept output. When the output ends
// in white space that the text's leading newlines would glue onto (a lone
// "\n" before "\n\nWait"), the white-space tokens are dropped first, so that
// the kept tokens stay a prefix of the new prompt's tokens and the server's
// cache serves them. It returns the white space dropped and the text added.
func (rn *run) inject(text string) (dropped, added string) {
	lead := text[:len(text)-len(strings.TrimLeft(text, "\n"))]
	ws := trailingSpace(rn.gen)
	if lead != "" && ws != "" && !strings.HasSuffix(ws, lead) {
		end := len(rn.gen)
		for len(rn.spans) > 0 {
			sp := rn.spans[len(rn.spans)-1]
			if sp.end != len(rn.gen) || trailingSpace(rn.gen[sp.start:sp.end]) != string(rn.gen[sp.start:sp.end]) {
				break
			}
			rn.gen = rn.gen[:sp.start]
			rn.spans = rn.spans[:len(rn.spans)-1]
			if rn.ctxTokens >= 0 {
				rn.ctxTokens -= sp.n
			}
		}
		dropped = ws[len(ws)-(end-len(rn.gen)):]
	}
	added = joinNewlines(string(rn.gen), text)
	rn.gen = append(rn.gen, added...)
	return dropped, added
}

// trailingSpace returns the white space at the end of b.
func trailingSpace(b []byte) string {
	i := len(b)
	for i > 0 && (b[i-1] == ' ' || b[i-1] == '\n' || b[i-1] == '\t' || b[i-1] == '\r') {
		i--
	}
	return string(b[i:])
}

// flushThinking releases the parser's held bytes into the trace.
func (rn *run) flushThinking() { rn.path.flush(rn) }

// beginWait prepares a pass that makes the model think on: the closing tag
// and what followed are dropped and "Wait" appended.
func (rn *run) beginWait() {
	rn.waits++
	rn.gen = rn.gen[:rn.cutPos]
	for len(rn.spans) > 0 && rn.spans[len(rn.spans)-1].end > rn.cutPos {
		rn.spans = rn.spans[:len(rn.spans)-1]
	}
	dropped, _ := rn.inject(waitText)
	th := strings.TrimSuffix(rn.thinking.String(), dropped)
	w := joinNewlines(th, waitText)
	rn.thinking.Reset()
	rn.thinking.WriteString(th)
	rn.thinking.WriteString(w)
	rn.display(hooks.PhaseThinking, w)
	rn.splitter.Write(w)
	rn.parser.Reopen()
}

// joinNewlines drops as many leading newlines from add as prev ends with,
// so that injected text starts a paragraph without piling up blank lines.
func joinNewlines(prev, add string) string {
	n := len(prev) - len(strings.TrimRight(prev, "\n"))
	for n > 0 && strings.HasPrefix(add, "\n") {
		add = add[1:]
		n--
	}
	return add
}

func (rn *run) tokenTimes(at time.Duration, n int) {
	for range n {
		rn.rec.TokenMS = append(rn.rec.TokenMS, ms(at))
	}
}

func (rn *run) display(phase hooks.Phase, text string) {
	if rn.r.OnToken != nil && text != "" {
		rn.r.OnToken(phase, text)
	}
}
