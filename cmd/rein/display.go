package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ollama/ollama/format"

	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/runner"
)

// display shows a run as it streams: thinking dimmed on stderr, the answer
// on stdout.
type display struct {
	ios         *IOStreams
	hide, quiet bool
	thinking    bool // inside a dimmed thinking block
	lastAnswer  string
	wroteAnswer bool
}

func (d *display) token(phase hooks.Phase, text string) {
	if d.quiet || text == "" {
		return
	}
	if phase == hooks.PhaseThinking {
		if d.hide {
			return
		}
		if !d.thinking && d.ios.Color {
			fmt.Fprint(d.ios.ErrOut, "\x1b[2m")
		}
		d.thinking = true
		fmt.Fprint(d.ios.ErrOut, text)
		return
	}
	d.closeThinking()
	if !d.wroteAnswer {
		text = strings.TrimLeft(text, "\n")
		if text == "" {
			return
		}
	}
	d.wroteAnswer = true
	d.lastAnswer = text
	fmt.Fprint(d.ios.Out, text)
}

func (d *display) closeThinking() {
	if !d.thinking {
		return
	}
	d.thinking = false
	if d.ios.Color {
		fmt.Fprint(d.ios.ErrOut, "\x1b[0m")
	}
	fmt.Fprintln(d.ios.ErrOut)
}

// end finishes the output with a newline.
func (d *display) end() {
	d.closeThinking()
	if d.wroteAnswer && !strings.HasSuffix(d.lastAnswer, "\n") {
		fmt.Fprintln(d.ios.Out)
	}
}

// printFigures prints what Ollama's --verbose prints, plus rein's split of
// thinking and answer, steps, the cut and its resume cost.
func printFigures(w io.Writer, rec *runner.Record) {
	m := rec.Metrics
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s:\t"+format+"\n", append([]any{k}, a...)...) }
	dur := func(ms float64) string {
		return time.Duration(ms * float64(time.Millisecond)).Round(time.Microsecond).String()
	}
	var evalCount int
	var evalMS float64
	for _, p := range rec.Passes {
		evalCount += p.EvalCount
		evalMS += p.EvalMS
	}
	row("total duration", "%s", dur(m.WallMS))
	row("load duration", "%s", dur(m.LoadMS))
	if b := rec.Budgets; b.NumCtx > 0 {
		row("context", "%s", contextLine(b))
	}
	row("prompt eval count", "%d token(s)", m.PromptTokens)
	row("prompt eval duration", "%s", dur(m.PromptMS))
	row("prompt eval rate", "%.2f tokens/s", m.PrefillTPS)
	row("eval count", "%d token(s)", evalCount)
	row("eval duration", "%s", dur(evalMS))
	row("eval rate", "%.2f tokens/s", m.EvalTPS)
	row("time to first token", "%s", dur(m.TTFTMS))
	row("time to first answer", "%s", dur(m.TTFAMS))
	row("thinking", "%d token(s) in %s, %.2f tokens/s, %d step(s)", m.ThinkingTokens, dur(m.ThinkingMS), m.ThinkingTPS, m.Steps)
	row("answer", "%d token(s) in %s, %.2f tokens/s", m.AnswerTokens, dur(m.AnswerMS), m.AnswerTPS)
	cut := rec.CutReason
	if cut == "" {
		cut = "none"
	}
	if rec.CutReason == hooks.ReasonLoop {
		cut = fmt.Sprintf("loop (%d repeats)", rec.LoopRepeats)
	}
	row("cut", "%s", cut)
	if rec.CutReason != "" {
		row("resume", "%d prompt token(s) evaluated in %s", m.ResumeEvalTokens, dur(m.ResumePromptMS))
		row("wasted tokens", "%d", m.WastedTokens)
	}
	row("done reason", "%s", rec.DoneReason)
	l := rec.Languages
	lang := func(c string) string { return firstNonEmptyString(c, "-") }
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
