package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"
	"unicode"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/models"
)

// stopKind is why the runner closed a pass's stream.
type stopKind int

const (
	stopNone    stopKind = iota
	stopCut              // a hook cut the thinking
	stopWait             // the model closed its thinking too early (MinSteps)
	stopEnded            // the answer ended at a reopened thinking tag
	stopAnswer           // the answer reached MaxAnswerTokens
	stopAbort            // a hook aborted the run
	stopPending          // a budget cut the thinking; the pass ends by itself
)

// ErrAborted is returned, wrapped, when a hook aborts a run.
var ErrAborted = errors.New("aborted by hook")

// errNoFinalChunk is returned when a stream ends without its final chunk,
// as it does when the server dies: the Ollama client ignores read errors.
var errNoFinalChunk = errors.New("stream ended before its final chunk (server closed the connection?)")

// run is the state of one Run: what it was asked and decided (the
// request, the record, the profile, the plan), then one group per concern,
// embedded so that each field reads as rn.field.
type run struct {
	r    *Runner
	req  *Request
	rec  *Record
	prof Profile
	lang string // the prompt's language (ISO 639-1), "" when unknown

	caps      models.ServerCaps // what the server's version can do
	runPlan                     // budgets, path, thinking (plan.go)
	path      pathway           // raw or chat (path.go)
	wire                        // what goes to the server
	reading                     // how the output is read
	tally                       // what came back, counted
	clocks                      // when it came
	passState                   // the pass in flight
	segState                    // segments, the time budget's clock, probes
}

// wire is what a run sends: the context, the options and the prompt, and
// what it has generated so far.
type wire struct {
	numCtx      int
	cplan       contextPlan // the context and what it costs (context.go)
	opts        map[string]any
	msgs        []api.Message // chat path: the conversation before the reply
	prompt      string        // raw path: the rendered prompt
	gen         []byte        // raw path: everything after the prompt so far
	prefix      string        // the thinking prefix sent, "" when none
	prefixSteps []string      // steps the prefix finished, sent at run start
	chatMsg     string        // chat path: budget message after the trace
}

// reading is how the output is read: parsed, split into steps, fed to the
// hooks, kept.
type reading struct {
	parser           *Parser
	chatState        ParserState // chat path: where the reply stands
	splitter         *hooks.Splitter
	chain            hooks.Chain
	loop             *hooks.LoopDetector // the built-in loop cut, nil when off
	thinking, answer strings.Builder
}

// tally counts what came back.
type tally struct {
	seq       int64
	thinkN    int // thinking tokens
	answerN   int // answer tokens
	keptN     int // all tokens kept (thinking, answer, tags)
	steps     int
	answered  bool // answer_start was sent
	waits     int
	lastPhase hooks.Phase // phase of the last counted token
	// Counting: exact while every chunk came with logprobs.
	exact     bool
	ctxTokens int // raw path: tokens in prompt+gen, -1 when unknown
}

// clocks are the run's clock and the arrival of its first and last tokens.
type clocks struct {
	started                                            bool
	start                                              time.Time
	firstTok, firstThink, lastThink, firstAns, lastAns time.Duration
	haveTok, haveThink, haveAns                        bool
}

// passState is the pass in flight and how it stops.
type passState struct {
	pass      *Pass
	probe     *Pass // the prefill pass
	stop      stopKind
	stopMsg   string
	cutPos    int    // raw path: end of the kept bytes in gen, on stopWait
	passKept  int    // tokens of this pass kept in the output
	spans     []span // raw path: the last units kept in gen
	done      bool
	answerCap bool // the client enforces MaxAnswerTokens in this pass
	uncached  int  // tokens of gen the server's cache lacks
	sepTokens int  // tokens of the separator put back in this pass
}

// segState holds the segments (segment.go), the thinking clock of the
// time budget and the answer probes.
type segState struct {
	seg           segment
	emptySegments int
	thinkSpent    time.Duration // thinking time the time budget counts
	thinkLast     time.Duration // arrival of the last thinking token
	thinkTimed    int           // thinking tokens on the clock
	thinkPassN    int           // the pass of the last thinking token
	probedAt      int           // the step of the last answer probe
}

func newRun(r *Runner, req *Request) *run {
	rn := &run{r: r, req: req, tally: tally{exact: true, ctxTokens: -1}}
	rn.rec = &Record{
		RunID:    req.RunID,
		Time:     r.now(),
		Model:    req.Model,
		Prompt:   req.Prompt,
		TokenMS:  []float64{},
		Hardware: map[string]any{},
		Passes:   []Pass{},
	}
	if rn.rec.RunID == "" {
		rn.rec.RunID = newRunID()
	}
	if rn.rec.Prompt == "" {
		for i := len(req.Messages) - 1; i >= 0; i-- {
			if req.Messages[i].Role == "user" {
				rn.rec.Prompt = req.Messages[i].Content
				break
			}
		}
	}
	rn.lang = hooks.DetectLanguage(rn.rec.Prompt)
	return rn
}

func (rn *run) warnf(format string, args ...any) {
	rn.rec.Warnings = append(rn.rec.Warnings, fmt.Sprintf(format, args...))
}

func (rn *run) elapsed() time.Duration {
	if !rn.started {
		return 0
	}
	return rn.r.now().Sub(rn.start)
}

// emit sends an event to the hooks and returns their decision.
func (rn *run) emit(ctx context.Context, kind hooks.Kind, phase hooks.Phase, text string, at time.Duration) hooks.Decision {
	rn.seq++
	ev := &hooks.Event{
		Kind:           kind,
		RunID:          rn.rec.RunID,
		Seq:            rn.seq,
		Elapsed:        at,
		ElapsedMS:      ms(at),
		Thinking:       rn.thinkSpent,
		ThinkingMS:     ms(rn.thinkSpent),
		Phase:          phase,
		Text:           text,
		ThinkingTokens: rn.thinkN,
		AnswerTokens:   rn.answerN,
		Steps:          rn.steps,
	}
	if kind == hooks.KindStep {
		ev.Step = rn.steps
	}
	if kind == hooks.KindCut {
		ev.Reason = rn.rec.CutReason
		ev.Text = rn.rec.CutReason
		ev.Repeats = rn.rec.LoopRepeats
		ev.Signal = rn.rec.LoopSignal
	}
	return rn.chain.OnEvent(ctx, ev)
}

// aborted is the error of a run a hook aborted with d; the record keeps
// the hook's own words as cut_detail.
func (rn *run) aborted(d hooks.Decision) error {
	if d.Detail != "" {
		rn.rec.CutDetail = d.Detail
	}
	return fmt.Errorf("%w: %s", ErrAborted, abortText(d))
}

// run does the whole run; the record is completed by finish.
func (rn *run) run(ctx context.Context) error {
	if err := rn.setup(ctx); err != nil {
		return err
	}
	if err := rn.prefill(ctx); err != nil {
		return err
	}
	rn.start = rn.r.now()
	rn.started = true
	if d := rn.emit(ctx, hooks.KindRunStart, "", rn.req.Model, 0); d.Action == hooks.Abort {
		return rn.aborted(d)
	}
	// Steps the thinking prefix finished count, but cannot cut: nothing
	// has been generated yet.
	for _, s := range rn.prefixSteps {
		rn.steps++
		if d := rn.emit(ctx, hooks.KindStep, hooks.PhaseThinking, s, 0); d.Action == hooks.Abort {
			return rn.aborted(d)
		}
	}

	kind := PassFirst
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		np := rn.numPredict(kind)
		if np <= 0 {
			if kind == PassResume || kind == PassContinue {
				rn.warnf("no tokens left for the answer (max tokens %d)", rn.maxTokens)
				rn.rec.DoneReason = "length"
			}
			return nil
		}
		np = rn.planSegment(kind, np)
		err := rn.doPass(ctx, kind, np)
		p := rn.pass
		if kind != PassFirst && p.PromptEvalCount > 0 {
			rn.resumeCost(p)
		}
		rn.rec.DoneReason = p.DoneReason
		if p.Cancelled {
			rn.rec.DoneReason = ""
		}
		// A pass that the server ended at a segment's boundary: the
		// separator it stripped goes back, and the budgets decide.
		next := ""
		if err == nil && rn.done {
			next = rn.segmentEnd(ctx)
		}
		boundary := next != ""
		if next == PassSegment && rn.stop == stopNone && rn.timeSpent() {
			rn.deferCut(hooks.Decision{Action: hooks.Cut, Reason: hooks.ReasonTime})
		}
		if !rn.chat && rn.ctxTokens >= 0 && p.PromptEvalCount > 0 {
			rn.ctxTokens = p.PromptEvalCount
		}
		if rn.ctxTokens >= 0 && rn.exact {
			rn.ctxTokens += rn.passKept
		} else {
			rn.ctxTokens = -1
		}
		// What the server did not keep in its cache: the last token of a
		// pass it stopped at its token limit, the tokens of a stop
		// sequence it stripped. The next pass evaluates them again.
		rn.uncached = 0
		switch {
		case p.Cancelled:
		case p.DoneReason == "length":
			rn.uncached = 1
		case next == PassSegment && rn.seg.stop != "":
			rn.uncached = max(p.EvalCount-(p.Tokens-rn.sepTokens), 1)
		case next == PassContinue:
			rn.uncached = max(p.EvalCount-p.Tokens, 1)
		}
		// An answer probe at a step boundary (probe.go); p and rn.pass
		// are not used after it, which adds a pass.
		if next == PassSegment && rn.stop == stopNone && rn.probeDue() {
			settled, err := rn.probeAnswer(ctx)
			if err != nil {
				return err
			}
			if settled {
				rn.deferCut(hooks.Decision{Action: hooks.Cut, Reason: hooks.ReasonSettled})
			}
		}

		switch {
		case rn.stop == stopAbort:
			return fmt.Errorf("%w: %s", ErrAborted, rn.stopMsg)
		case ctx.Err() != nil:
			return ctx.Err()
		case rn.stop == stopPending:
			d := rn.seg.pending
			rn.rec.CutDetail = d.Detail
			if d := rn.cut(ctx, d.Reason, d.Repeats, d.Signal); d.Action == hooks.Abort {
				return rn.aborted(d)
			}
			fallthrough
		case rn.stop == stopCut:
			if rn.onLimit != OnLimitAnswer {
				return nil
			}
			rn.beginResume()
			kind = PassResume
			continue
		case rn.stop == stopWait:
			rn.beginWait()
			kind = PassWait
			continue
		case rn.stop == stopEnded:
			rn.rec.DoneReason = "stop"
			return nil
		case rn.stop == stopAnswer:
			rn.rec.DoneReason = "length"
			return nil
		case err != nil:
			return err
		case !rn.done:
			return errNoFinalChunk
		case boundary:
			kind = next
			continue
		}

		// The server ended the pass.
		st := rn.state()
		if p.Tokens == 0 && p.DoneReason == "length" {
			rn.warnf("the server stopped with no output: context full (num_ctx %d)?", rn.numCtx)
			return nil
		}
		switch {
		case st.Thinking() && p.DoneReason == "length":
			// The token budget (or the hard cap) is spent while thinking.
			if d := rn.cut(ctx, hooks.ReasonTokens, 0, ""); d.Action == hooks.Abort {
				return rn.aborted(d)
			}
			if rn.onLimit != OnLimitAnswer {
				return nil
			}
			rn.beginResume()
			kind = PassResume
		case st.Thinking():
			rn.warnf("the model stopped while thinking (done reason %q)", p.DoneReason)
			return nil
		case p.DoneReason == "length" && st != StateEnded:
			kind = PassContinue
		default:
			return nil
		}
	}
}

// state returns where the output stands.
func (rn *run) state() ParserState { return rn.path.state(rn) }

// numPredict returns the token limit for a pass of kind.
func (rn *run) numPredict(kind string) int {
	left := rn.maxTokens - rn.keptN
	answering := !rn.thinkOn || rn.state().Answering()
	switch {
	case (kind == PassFirst || kind == PassWait || kind == PassSegment) && !answering:
		if rn.lim.MaxAnswerTokens > 0 {
			left -= rn.lim.MaxAnswerTokens // keep room for the answer
		}
		if rn.thinkOn && rn.lim.MaxThinkTokens > 0 {
			np := rn.lim.MaxThinkTokens - rn.thinkN
			if rn.state() == StateLookingForOpen && !rn.chat {
				np++ // the opening tag the model emits
			}
			if np <= 0 {
				return 0
			}
			left = min(left, np)
		}
		return rn.contextBound(max(left, 0), kind, true)
	default: // the answer: resume, continue, or a run without thinking
		if rn.lim.MaxAnswerTokens > 0 {
			left = min(left, rn.lim.MaxAnswerTokens-rn.answerN)
		}
		return rn.contextBound(max(left, 0), kind, false)
	}
}

func (rn *run) passOptions(numPredict int) map[string]any {
	o := maps.Clone(rn.opts)
	o["num_predict"] = numPredict
	if rn.seg.stop != "" {
		o["stop"] = []string{rn.seg.stop}
	}
	return o
}

// doPass streams one generation pass.
func (rn *run) doPass(ctx context.Context, kind string, numPredict int) error {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rn.rec.Passes = append(rn.rec.Passes, Pass{Kind: kind, NumPredict: numPredict})
	rn.pass = &rn.rec.Passes[len(rn.rec.Passes)-1]
	rn.stop, rn.stopMsg, rn.done = stopNone, "", false
	rn.passKept, rn.sepTokens = 0, 0
	sent := rn.r.now()
	defer func() { rn.pass.WallMS = ms(rn.r.now().Sub(sent)) }()
	// The server enforces MaxAnswerTokens on answer passes; on thinking
	// passes the model may answer on its own, and the client stops it.
	rn.answerCap = rn.lim.MaxAnswerTokens > 0 && rn.thinkOn && (kind == PassFirst || kind == PassWait || kind == PassSegment)
	opts := rn.passOptions(numPredict)

	var err error
	pt := rn.startTimer(cancel) // silence and the time budget's deadline (timers.go)
	err = rn.path.stream(pctx, rn, kind, opts, func(c chunk) error {
		if !pt.enter() {
			return errTimerFired
		}
		defer pt.leave(rn)
		c.apply()
		if rn.closing() {
			return errStopPass
		}
		return nil
	})
	if errors.Is(err, errStopPass) {
		err = nil // the run ended the stream; rn.stop says why
	}
	err = rn.timerOutcome(ctx, pt, err)
	if rn.stop != stopNone && !(rn.stop == stopPending && rn.done) {
		rn.pass.Cancelled = true
		if rn.pass.EvalCount > 0 {
			// The final chunk came after all: every token beyond the cut
			// point was wasted, seen or not.
			gen := rn.pass.EvalCount
			if rn.pass.DoneReason == "stop" {
				gen-- // the end-of-sequence token
			}
			rn.pass.Wasted = max(rn.pass.Wasted, gen-rn.passKept)
		}
	} else if ctx.Err() != nil {
		rn.pass.Cancelled = true
	}
	return err
}

// resumeCost fills a later pass's ResumeEvalTokens: exact when the tokens
// before the new text are known, else estimated from the prefill rate.
func (rn *run) resumeCost(p *Pass) {
	if c := p.PromptCachedCount; c != nil {
		// The server says how many prompt tokens its cache served.
		p.ResumeEvalTokens = max(p.PromptEvalCount-*c, 0)
		p.ResumeEvalSource = SourceServer
		return
	}
	if !rn.chat && rn.ctxTokens >= 0 && rn.exact {
		n := p.PromptEvalCount - rn.ctxTokens + rn.uncached
		p.ResumeEvalTokens = max(n, 1)
		p.ResumeEvalSource = SourceCounted
		return
	}
	p.ResumeEvalEstimate = true
	p.ResumeEvalSource = SourceEstimate
	// Chat re-renders the trace, so the cache matches at most the
	// conversation before the reply: the first pass's prompt.
	if pr := rn.promptPass(); rn.chat && pr != nil && pr.PromptEvalCount > 0 && p.PromptEvalCount > pr.PromptEvalCount {
		p.ResumeEvalTokens = p.PromptEvalCount - pr.PromptEvalCount
		return
	}
	if pr := rn.promptPass(); pr != nil && pr.PromptEvalMS > 0 {
		p.ResumeEvalTokens = int(p.PromptEvalMS*float64(pr.PromptEvalCount)/pr.PromptEvalMS + 0.5)
	}
}

// finish completes the record.
func (rn *run) finish(ctx context.Context, err error) {
	rec := rn.rec
	if rn.parser != nil {
		rn.flushThinking()
	}
	rec.Thinking = strings.TrimRightFunc(rn.thinking.String(), unicode.IsSpace)
	rec.Answer = strings.TrimRightFunc(rn.answer.String(), unicode.IsSpace)
	rec.Steps = rn.steps
	rec.Languages = recordLanguages(rn.lang, rec.Thinking, rec.Answer)
	rec.LanguageConsistent = rec.Languages.Consistent()

	at := rn.elapsed()
	switch {
	case err == nil:
		if rn.started {
			rn.emit(ctx, hooks.KindDone, "", rec.DoneReason, at)
		}
	case ctx.Err() != nil:
		rec.CutReason = hooks.ReasonInterrupted
		rec.Error = err.Error()
		rec.DoneReason = ""
		rn.emit(ctx, hooks.KindError, "", rec.Error, at)
	default:
		rec.CutReason = hooks.ReasonError
		rec.Error = err.Error()
		rec.DoneReason = ""
		rn.emit(ctx, hooks.KindError, "", rec.Error, at)
	}

	rn.figures()
}

// recordLanguages detects the languages of a run's thinking and answer;
// promptLang is the prompt's, detected when the run began. Each detection
// reads at most 2 KB (hooks.DetectLanguage), so the cost is bounded
// whatever the trace's length.
func recordLanguages(promptLang, thinking, answer string) hooks.Languages {
	return hooks.Languages{
		Prompt:   promptLang,
		Thinking: hooks.DetectLanguage(thinking),
		Answer:   hooks.DetectLanguage(answer),
	}
}

// rate returns n per second over d milliseconds, 0 when unknown.
func rate(n int, d float64) float64 {
	if n <= 0 || d <= 0 {
		return 0
	}
	return float64(n) / d * 1000
}
