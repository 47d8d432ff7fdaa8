package term

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/ollama/ollama/format"

	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/runner"
)

// Display shows a run as it streams: thinking dimmed on stderr, the answer
// on stdout. Where colour is off (NO_COLOR, or stderr is not a terminal)
// the thinking is told from the answer by the lines ollama run prints
// around it, "Thinking..." and "...done thinking.". A spinner turns on a
// terminal until the first text shows, while the model loads and reads the
// prompt.
type Display struct {
	ios         *IOStreams
	hide, quiet bool

	mu          sync.Mutex // the stream's goroutine and the spinner write
	thinking    bool       // inside a thinking block
	thinkNL     bool       // the thinking shown ends with a newline
	lastAnswer  string
	wroteAnswer bool
	spin        *spinner
	cut         string // a cut not yet announced: "cut after 3 steps (max-steps)"
}

// NewDisplay shows runs on ios: hide leaves the thinking out, quiet
// shows nothing (--json).
func NewDisplay(ios *IOStreams, hide, quiet bool) *Display {
	return &Display{ios: ios, hide: hide, quiet: quiet}
}

// Start turns the spinner on, on a terminal, until the first text shows.
func (d *Display) Start() {
	if d.quiet || !d.ios.ErrIsTerminal {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.spin = startSpinner(d.ios.ErrOut, &d.mu)
}

// stopSpin stops the spinner and clears its line; the caller holds d.mu.
func (d *Display) stopSpin() {
	if d.spin != nil {
		d.spin.stop()
		d.spin = nil
	}
}

func (d *Display) Token(phase hooks.Phase, text string) {
	if d.quiet || text == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if phase == hooks.PhaseThinking {
		if d.hide {
			return
		}
		d.stopSpin()
		if !d.thinking {
			if d.ios.Color {
				fmt.Fprint(d.ios.ErrOut, "\x1b[2m")
			} else {
				fmt.Fprint(d.ios.ErrOut, "Thinking...\n")
			}
		}
		d.thinking = true
		d.thinkNL = strings.HasSuffix(text, "\n")
		fmt.Fprint(d.ios.ErrOut, text)
		return
	}
	if !d.wroteAnswer {
		text = strings.TrimLeft(text, "\n")
		if text == "" {
			return
		}
	}
	d.stopSpin()
	d.closeThinking()
	d.wroteAnswer = true
	d.lastAnswer = text
	fmt.Fprint(d.ios.Out, text)
}

// closeThinking ends a thinking block; the caller holds d.mu.
func (d *Display) closeThinking() {
	if !d.thinking {
		return
	}
	d.thinking = false
	switch {
	case d.ios.Color:
		fmt.Fprint(d.ios.ErrOut, "\x1b[0m\n")
	case d.thinkNL:
		fmt.Fprint(d.ios.ErrOut, "...done thinking.\n\n")
	default:
		fmt.Fprint(d.ios.ErrOut, "\n...done thinking.\n\n")
	}
}

// Line writes a line of rein's own on stderr, after the thinking block.
func (d *Display) Line(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopSpin()
	d.closeThinking()
	fmt.Fprintln(d.ios.ErrOut, s)
}

// Watch is a hook that announces a cut in one stderr line, even without
// --verbose: when the answer after it begins ("rein: cut after 3 steps
// (max-steps); answering"), or at the end of a run with none (announce).
func (d *Display) Watch(req *runner.Request) hooks.Hook {
	return hooks.Watch(func(_ context.Context, ev *hooks.Event) {
		switch ev.Kind {
		case hooks.KindCut:
			d.mu.Lock()
			d.cut = cutText(ev, req)
			d.mu.Unlock()
		case hooks.KindAnswerStart:
			d.mu.Lock()
			c := d.cut
			d.cut = ""
			d.mu.Unlock()
			if c != "" {
				d.Line("rein: " + c + "; answering")
			}
		}
	})
}

// Announce writes the line for a cut that no answer followed.
func (d *Display) Announce(rec *runner.Record) {
	d.mu.Lock()
	c := d.cut
	d.cut = ""
	d.mu.Unlock()
	if c == "" || rec.CutReason == hooks.ReasonInterrupted || rec.CutReason == hooks.ReasonError {
		return
	}
	if rec.Budgets.OnLimit == runner.OnLimitStop {
		d.Line("rein: " + c + "; stopping (on-limit stop)")
		return
	}
	d.Line("rein: " + c + "; no answer")
}

// cutText says why the thinking was cut, with the budget's flag.
func cutText(ev *hooks.Event, req *runner.Request) string {
	steps := Plural(ev.Steps, "step")
	switch ev.Reason {
	case hooks.ReasonSteps:
		return fmt.Sprintf("cut after %s (max-steps)", steps)
	case hooks.ReasonTokens:
		flag := "max-tokens"
		if mt := req.Budgets.Resolve().MaxThinkTokens; mt > 0 && ev.ThinkingTokens >= mt {
			flag = "max-think-tokens"
		}
		return fmt.Sprintf("cut after %s (%s)", Plural(ev.ThinkingTokens, "thinking token"), flag)
	case hooks.ReasonTime:
		return fmt.Sprintf("cut after %s of thinking (max-think-time)", time.Duration(ev.ThinkingMS*float64(time.Millisecond)).Round(time.Millisecond))
	case hooks.ReasonLoop:
		return fmt.Sprintf("cut after %s (loop: a step seen %d times)", steps, ev.Repeats)
	}
	return fmt.Sprintf("cut after %s (%s)", steps, cmp.Or(ev.Reason, hooks.ReasonHook))
}

// End finishes the output with a newline.
func (d *Display) End() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopSpin()
	d.closeThinking()
	if d.wroteAnswer && !strings.HasSuffix(d.lastAnswer, "\n") {
		fmt.Fprintln(d.ios.Out)
	}
}

// PrintFigures prints what Ollama's --verbose prints, with Ollama's
// meanings over the whole run (runner.Metrics), plus rein's split of
// thinking and answer, steps, the cut and its resume cost. Only what
// happened has a line: no resume line without a resume, no time to first
// answer without an answer.
func PrintFigures(w io.Writer, rec *runner.Record) {
	m := rec.Metrics
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s:\t"+format+"\n", append([]any{k}, a...)...) }
	dur := func(ms float64) string {
		return time.Duration(ms * float64(time.Millisecond)).Round(time.Microsecond).String()
	}
	// The first pass closed before its final chunk, with no prefill pass
	// before it: the server never said how long it loaded and read.
	unknown := len(rec.Passes) > 0 && rec.Passes[0].ClientMeasured
	row("total duration", "%s", dur(m.WallMS))
	if unknown {
		row("load duration", "unknown (the first pass was closed before its figures)")
	} else {
		row("load duration", "%s", dur(m.LoadMS))
	}
	if b := rec.Budgets; b.NumCtx > 0 {
		row("context", "%s", contextLine(b))
	}
	if !unknown {
		row("prompt eval count", "%d token(s)", m.PromptTokens)
		row("prompt eval duration", "%s", dur(m.PromptMS))
		row("prompt eval rate", "%.2f tokens/s", m.PrefillTPS)
	}
	byRein := ""
	if len(m.ClientMeasured) > 0 {
		byRein = ", partly on rein's clock (a pass closed before its figures)"
	}
	row("eval count", "%d token(s)%s", m.EvalCount, evalParts(m))
	row("eval duration", "%s%s", dur(m.EvalMS), byRein)
	if m.EvalMS > 0 {
		row("eval rate", "%.2f tokens/s", m.EvalTPS)
	}
	if m.TTFTMS > 0 {
		row("time to first token", "%s", dur(m.TTFTMS))
	}
	if m.AnswerTokens > 0 {
		row("time to first answer", "%s", dur(m.TTFAMS))
	}
	if m.ThinkingTokens > 0 || m.Steps > 0 {
		row("thinking", "%d token(s) in %s, %.2f tokens/s, %d step(s)", m.ThinkingTokens, dur(m.ThinkingMS), m.ThinkingTPS, m.Steps)
	}
	if m.AnswerTokens > 0 {
		row("answer", "%d token(s) in %s, %.2f tokens/s", m.AnswerTokens, dur(m.AnswerMS), m.AnswerTPS)
	}
	var cut []string
	switch rec.CutReason {
	case "":
	case hooks.ReasonLoop:
		cut = append(cut, fmt.Sprintf("loop (%d repeats)", rec.LoopRepeats))
	default:
		cut = append(cut, rec.CutReason)
	}
	if t := rec.Truncated(); t != "" {
		cut = append(cut, "answer truncated ("+t+")")
	}
	if len(cut) == 0 {
		cut = append(cut, "none")
	}
	row("cut", "%s", strings.Join(cut, "; "))
	if m.Resumes > 0 {
		about := ""
		if m.ResumeEvalSource == runner.SourceEstimate {
			about = "about "
		}
		row("resume", "%s%d of %d prompt tokens evaluated (%d from cache) in %s", about, m.ResumeEvalTokens, m.ResumePromptTokens,
			max(m.ResumePromptTokens-m.ResumeEvalTokens, 0), dur(m.ResumePromptMS))
	}
	if rec.CutReason != "" || m.WastedTokens > 0 {
		row("wasted tokens", "%d", m.WastedTokens)
	}
	if rec.DoneReason != "" {
		row("done reason", "%s", rec.DoneReason)
	}
	l := rec.Languages
	lang := func(c string) string { return cmp.Or(c, "-") }
	consistent := "consistent"
	if !rec.LanguageConsistent {
		consistent = "not consistent"
	}
	if rec.LanguageSwitch != "" {
		consistent += ", switched " + rec.LanguageSwitch
	}
	row("languages", "prompt %s, thinking %s, answer %s (%s)", lang(l.Prompt), lang(l.Thinking), lang(l.Answer), consistent)
	if hw := rec.Hardware; hw["processor"] != nil {
		n := func(k string) int64 { f, _ := hw[k].(float64); return int64(f) }
		bw, _ := hw["bandwidth_gbps"].(float64)
		moe := ""
		if hw["moe"] == true {
			moe = " (active share of a mixture of experts)"
		}
		row("hardware", "%v, %s in memory, %s in VRAM", hw["processor"], format.HumanBytes(n("size_bytes")), format.HumanBytes(n("vram_bytes")))
		row("bandwidth", "%.2f GB/s: %s read per token%s", bw, format.HumanBytes(n("bytes_per_token")), moe)
	}
	tw.Flush()
}

// evalParts splits the eval count: thinking, answer, wasted, and the tags
// and end tokens that are none of them.
func evalParts(m runner.Metrics) string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{m.ThinkingTokens, "thinking"}, {m.AnswerTokens, "answer"}, {m.WastedTokens, "wasted"}, {m.ProbeTokens, "in probes"}, {m.OtherTokens, "tags and ends"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if len(parts) < 2 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// contextLine describes a run's context for --verbose: "8192 tokens
// (sized), KV cache ≈ 1.3 GB".
func contextLine(b runner.Budgets) string {
	s := fmt.Sprintf("%d tokens", b.NumCtx)
	if b.NumCtxSource != "" {
		s += " (" + b.NumCtxSource + ")"
	}
	if b.KVCacheBytes > 0 {
		s += ", KV cache ≈ " + format.HumanBytes(b.KVCacheBytes)
	}
	return s
}
