package openai

import (
	"context"
	"flag"
	"slices"
	"testing"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/runner"
)

var benchSize = flag.String("openai.size", "", `scripted size preset of BenchmarkOpenAIVsOllama's model ("": the smallest; "0.6b", "4b")`)

// BenchmarkOpenAIVsOllama measures the tokens per second of the same raw
// pass (the qwen3 prompt, 300 tokens of the scripted runaway model, the
// smallest, or the -openai.size preset)
// through this backend on Ollama's /v1/completions and through Ollama's
// API, on the same server and the same loaded model, side by side in one
// run: each iteration runs both, in alternating order. The rate is the
// client's: the tokens after the first over the time from the first token
// to the last, pooled over the run (openai/ollama: the pooled rates'
// ratio; median-openai/ollama: the median of the iterations' ratios). The
// ratio should be at least 0.98. Each iteration also runs the Ollama path
// a second time (median-control/ollama): the spread of that ratio around 1
// is what the machine's noise allows one to read.
//
//	go test ./openai -run '^$' -bench OpenAIVsOllama -benchtime 5x [-openai.size 0.6b]
func BenchmarkOpenAIVsOllama(b *testing.B) {
	s, nativeModel, rawModel := needPair(b, *benchSize)
	c, err := New(Options{BaseURL: "http://" + s.Host})
	if err != nil {
		b.Fatal(err)
	}
	prompt := qwen3Prompt(b, "How many r's are in strawberry?")
	const n = 300
	native := map[string]any{"num_predict": n, "num_ctx": serverCtx, "seed": 1}
	v1 := map[string]any{"num_predict": n, "seed": 1}
	// tokens after the first, and the time from the first to the last
	span := func(p pass) (float64, float64) {
		if p.chunks < 2 || p.final.EvalCount < n {
			b.Fatalf("a pass of %d chunks, eval_count %d (%s)", p.chunks, p.final.EvalCount, p.final.DoneReason)
		}
		return float64(p.chunks - 1), p.last.Sub(p.first).Seconds()
	}
	// Warm up both: the model loads once, for both names.
	generate(b, s.Client, nativeModel, prompt, native)
	generate(b, c, rawModel, prompt, v1)
	var tokO, secO, tokA, secA float64
	var ratios, controls []float64
	i := 0
	b.ResetTimer()
	for b.Loop() {
		// Three passes in a rotating order: Ollama's API, this backend, and
		// Ollama's API again under the raw model's name, the control: the
		// same path twice, whose ratio shows the machine's noise.
		var po, pa, pc pass
		steps := []func(){
			func() { po = generate(b, s.Client, nativeModel, prompt, native) },
			func() { pa = generate(b, c, rawModel, prompt, v1) },
			func() { pc = generate(b, s.Client, rawModel, prompt, native) },
		}
		for j := range steps {
			steps[(i+j)%len(steps)]()
		}
		i++
		to, so := span(po)
		ta, sa := span(pa)
		tc, sc := span(pc)
		tokO, secO, tokA, secA = tokO+to, secO+so, tokA+ta, secA+sa
		ratios = append(ratios, (ta/sa)/(to/so))
		controls = append(controls, (tc/sc)/(to/so))
		b.Logf("round %d: ollama %.0f tok/s, openai %.0f tok/s, control %.0f tok/s", i, to/so, ta/sa, tc/sc)
	}
	slices.Sort(ratios)
	slices.Sort(controls)
	b.ReportMetric(tokO/secO, "ollama-tok/s")
	b.ReportMetric(tokA/secA, "openai-tok/s")
	b.ReportMetric((tokA/secA)/(tokO/secO), "openai/ollama")
	b.ReportMetric(ratios[len(ratios)/2], "median-openai/ollama")
	b.ReportMetric(controls[len(controls)/2], "median-control/ollama")
}

// BenchmarkRunOpenAIVsOllama is the same comparison through rein's runner,
// as rein run measures it: the thinking rate (thinking_tps: thinking
// tokens from the first to the last, on the client's clock) of a run held
// to 300 thinking tokens, through this backend on Ollama's /v1 and
// through Ollama's API, on one server and one loaded model, side by side.
//
//	go test ./openai -run '^$' -bench RunOpenAIVsOllama -benchtime 5x
func BenchmarkRunOpenAIVsOllama(b *testing.B) {
	s, nativeModel, rawModel := needPair(b, *benchSize)
	tmpl, _ := ProfileTemplate("qwen3")
	c, err := New(Options{BaseURL: "http://" + s.Host, Template: tmpl, Family: "qwen3"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ro, ra := &runner.Runner{Backend: s.Client}, &runner.Runner{Backend: c}
	run := func(r *runner.Runner, model string, think int) *runner.Record {
		rec, err := r.Run(ctx, &runner.Request{Model: model, Prompt: "How many r's are in strawberry?", Think: budget.Ptr(true), NumCtx: serverCtx,
			Budgets: budget.Budgets{MaxThinkTokens: budget.Ptr(think), Loop: budget.Ptr(0), OnLimit: budget.Ptr(runner.OnLimitStop)}})
		if err != nil {
			b.Fatal(err)
		}
		if rec.Metrics.ThinkingTokens < think-2 {
			b.Fatalf("%s: %d thinking tokens, want %d", model, rec.Metrics.ThinkingTokens, think)
		}
		return rec
	}
	run(ro, nativeModel, 8) // warm up both
	run(ra, rawModel, 8)
	var sumO, sumA float64
	var ratios []float64
	i := 0
	b.ResetTimer()
	for b.Loop() {
		var o, a *runner.Record
		if i%2 == 0 {
			o, a = run(ro, nativeModel, 300), run(ra, rawModel, 300)
		} else {
			a = run(ra, rawModel, 300)
			o = run(ro, nativeModel, 300)
		}
		i++
		sumO += o.Metrics.ThinkingTPS
		sumA += a.Metrics.ThinkingTPS
		ratios = append(ratios, a.Metrics.ThinkingTPS/o.Metrics.ThinkingTPS)
		b.Logf("pair %d: ollama %.0f tok/s, openai %.0f tok/s", i, o.Metrics.ThinkingTPS, a.Metrics.ThinkingTPS)
	}
	slices.Sort(ratios)
	k := float64(i)
	b.ReportMetric(sumO/k, "ollama-tok/s")
	b.ReportMetric(sumA/k, "openai-tok/s")
	b.ReportMetric(sumA/sumO, "openai/ollama")
	b.ReportMetric(ratios[len(ratios)/2], "median-openai/ollama")
}
