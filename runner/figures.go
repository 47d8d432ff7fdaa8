package runner

// The run's figures, each defined once here: the run record's Metrics,
// which `rein run --verbose`, `rein report` and the proxy all read, and the
// prefill pass that some runs spend so that the server measures the load
// and the prompt.

import (
	"context"
	"fmt"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/hooks"
)

// needPrefill reports whether the run sends a prefill pass before the
// first generation pass. A pass that ends on the server's own done carries
// the load and prompt figures in its final chunk, and the thinking of most
// runs is generated in segments the server ends (segment.go), so most runs
// need none and the first token comes as fast as from Ollama itself. The
// first pass may be closed before its final chunk, and the prefill pass
// is sent, when:
//
//   - a hook of the caller's may cut or abort at any token (external
//     hooks, a language switch that cuts); hooks that only watch
//     (hooks.Watcher: the event log, a language switch that warns) do not
//     count;
//   - a step, loop or time budget may cut the first pass and the pass is
//     not segmented, so that the cut closes the stream: the chat path,
//     sentence and marker steps, stop sequences of the user's own;
//   - min steps may reopen a thinking the model closes in the first pass;
//   - max answer tokens may stop an answer the model begins in it.
//
// Ctrl-C and a thinking tag reopened in the answer still close a first
// pass without a prefill pass before it; the run ends there, and its load
// and prompt figures are unknown (0).
func (rn *run) needPrefill() bool {
	q := rn.req
	for _, h := range q.Hooks {
		if !hooks.IsWatchOnly(h) {
			return true
		}
	}
	if !rn.thinkOn {
		return false
	}
	if rn.lim.MaxAnswerTokens > 0 || (!rn.chat && rn.lim.MinSteps > 0) {
		return true
	}
	if rn.lim.MaxSteps > 0 || rn.lim.Loop > 0 || rn.lim.MaxThinkTime > 0 {
		np := rn.numPredict(PassFirst)
		if np <= 0 {
			return false // no pass at all
		}
		rn.planSegment(PassFirst, np)
		seg := rn.segmented()
		rn.seg = segment{} // the run loop plans the pass again
		return !seg
	}
	return false
}

// prefill loads the model and evaluates the prompt with a one-token pass,
// for runs whose first pass may be closed before its final chunk (see
// needPrefill), so that load and prompt figures come from the server
// whatever happens to the generation passes, which then find the prompt
// in the cache.
func (rn *run) prefill(ctx context.Context) error {
	if !rn.needPrefill() {
		if !rn.chat {
			// The first pass's prompt_eval_count sets the context count.
			rn.ctxTokens = 0
		}
		return nil
	}
	p := &Pass{Kind: PassPrefill, NumPredict: 1}
	opts := rn.passOptions(1)
	sent := rn.r.now()
	err := rn.path.stream(ctx, rn, PassPrefill, opts, func(c chunk) error {
		if c.done {
			setServerFigures(p, c.metrics, c.doneReason)
		}
		return nil
	})
	p.WallMS = ms(rn.r.now().Sub(sent))
	rn.rec.Passes = append(rn.rec.Passes, *p)
	rn.probe = p
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return fmt.Errorf("prefill: %w", err)
	case !p.final:
		return fmt.Errorf("prefill: %w", errNoFinalChunk)
	}
	if !rn.chat && p.PromptEvalCount > 0 {
		rn.ctxTokens = p.PromptEvalCount
	}
	return nil
}

// setServerFigures records a pass's final chunk.
func setServerFigures(p *Pass, m api.Metrics, reason string) {
	p.final = true
	p.LoadMS = ms(m.LoadDuration)
	p.PromptEvalCount = m.PromptEvalCount
	if m.PromptEvalCachedCount != nil {
		n := *m.PromptEvalCachedCount
		p.PromptCachedCount = &n
	}
	p.PromptEvalMS = ms(m.PromptEvalDuration)
	p.EvalCount = m.EvalCount
	p.EvalMS = ms(m.EvalDuration)
	p.DoneReason = reason
}

// promptPass is the pass whose server figures describe the prompt: the
// prefill pass, else the first generation pass once its final chunk came;
// nil when neither has figures.
func (rn *run) promptPass() *Pass {
	if rn.probe != nil {
		return rn.probe
	}
	if len(rn.rec.Passes) > 0 && rn.rec.Passes[0].final {
		p := rn.rec.Passes[0]
		return &p
	}
	return nil
}

// figures fills the record's Metrics at the end of the run.
func (rn *run) figures() {
	rec := rn.rec
	m := &rec.Metrics
	var clock time.Duration // from the request to the run's clock
	if rn.started {
		clock = rn.start.Sub(rec.Time)
	}
	m.ClockMS = ms(clock)
	m.WallMS = ms(rn.r.now().Sub(rec.Time))
	if rn.haveTok {
		m.TTFTMS = ms(clock + rn.firstTok)
	}
	if rn.haveAns {
		m.TTFAMS = ms(clock + rn.firstAns)
		m.AnswerMS = ms(rn.lastAns - rn.firstAns)
	}
	if rn.haveThink {
		m.ThinkingMS = ms(rn.lastThink - rn.firstThink)
	}
	m.ThinkingTokens = rn.thinkN
	m.AnswerTokens = rn.answerN
	m.ThinkingTPS = rate(rn.thinkN, m.ThinkingMS)
	m.AnswerTPS = rate(rn.answerN, m.AnswerMS)
	m.Steps = rn.steps
	// Kept tokens that are neither thinking nor answer: the tags and the
	// white space between thinking and answer.
	m.OtherTokens = max(rn.keptN-rn.thinkN-rn.answerN, 0)
	sumPasses(rec.Passes, m)
}

// sumPasses adds up the passes' figures into m: the first request's load
// and prompt, every generation pass's eval figures (the server's, else
// rein's for a pass closed before its final chunk), the waste, the end
// tokens the server did not send, and the resumes.
func sumPasses(passes []Pass, m *Metrics) {
	client := false
	for i := range passes {
		p := &passes[i]
		if i == 0 && p.final {
			m.LoadMS = p.LoadMS
			m.PromptTokens = p.PromptEvalCount
			m.PromptMS = p.PromptEvalMS
			m.PrefillTPS = rate(p.PromptEvalCount, p.PromptEvalMS)
		}
		if p.Kind == PassPrefill {
			continue // its one token is generated again by the first pass
		}
		m.WastedTokens += p.Wasted
		switch {
		case p.Kind == PassProbe:
			// A trial answer (probe.go): generated for the run, but
			// neither thinking nor answer (ProbeTokens, below).
			m.EvalCount += p.EvalCount
			m.EvalMS += p.EvalMS
		case p.final:
			m.EvalCount += p.EvalCount
			m.EvalMS += p.EvalMS
			if p.Cancelled {
				// doPass counted the tokens the server generated beyond
				// the cut as wasted, all but an end-of-sequence token.
				if p.DoneReason == "stop" {
					m.OtherTokens++
				}
			} else {
				// What the server generated and did not send: the end
				// of sequence, a stop sequence it stripped.
				m.OtherTokens += max(p.EvalCount-p.Tokens, 0)
			}
		default:
			p.ClientMeasured = true
			client = true
			m.EvalCount += p.Tokens
			m.EvalMS += p.WallMS
		}
		if p.Kind == PassProbe {
			m.ProbeTokens += p.EvalCount
			m.ProbeMS += p.WallMS
		}
		// Resume figures are the answer passes' after a cut: not the
		// segments of the thinking, nor the continuation of an answer.
		if p.Kind == PassResume {
			m.Resumes++
			m.ResumePromptTokens += p.PromptEvalCount
			m.ResumePromptMS += p.PromptEvalMS
			m.ResumeEvalTokens += p.ResumeEvalTokens
			m.ResumeEvalSource = p.ResumeEvalSource
		}
	}
	m.EvalTPS = rate(m.EvalCount, m.EvalMS)
	if client {
		m.ClientMeasured = []string{"eval_count", "eval_ms"}
	}
}

// Truncated says what ended the answer before the model ended it:
// "max-answer-tokens" or "max-tokens" (the hard cap), "" when nothing did.
func (rec *Record) Truncated() string {
	if rec.DoneReason != "length" || rec.Metrics.AnswerTokens == 0 {
		return ""
	}
	if b := rec.Budgets.MaxAnswerTokens; b > 0 && rec.Metrics.AnswerTokens >= b {
		return "max-answer-tokens"
	}
	return "max-tokens"
}

// OllamaMetrics returns the run's figures as the final chunk of an Ollama
// response carries them, for clients that read Ollama's API (the proxy):
// the same figures as Metrics.
func (rec *Record) OllamaMetrics() api.Metrics {
	m := rec.Metrics
	om := api.Metrics{
		TotalDuration:      msDuration(m.WallMS),
		LoadDuration:       msDuration(m.LoadMS),
		PromptEvalCount:    m.PromptTokens,
		PromptEvalDuration: msDuration(m.PromptMS),
		EvalCount:          m.EvalCount,
		EvalDuration:       msDuration(m.EvalMS),
	}
	if len(rec.Passes) > 0 && rec.Passes[0].PromptCachedCount != nil {
		n := *rec.Passes[0].PromptCachedCount
		om.PromptEvalCachedCount = &n
	}
	return om
}

func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
