package openai

import (
	"flag"
	"slices"
	"testing"
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
// ratio should be at least 0.98.
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
	var ratios []float64
	i := 0
	b.ResetTimer()
	for b.Loop() {
		var po, pa pass
		if i%2 == 0 {
			po = generate(b, s.Client, nativeModel, prompt, native)
			pa = generate(b, c, rawModel, prompt, v1)
		} else {
			pa = generate(b, c, rawModel, prompt, v1)
			po = generate(b, s.Client, nativeModel, prompt, native)
		}
		i++
		to, so := span(po)
		ta, sa := span(pa)
		tokO, secO, tokA, secA = tokO+to, secO+so, tokA+ta, secA+sa
		ratios = append(ratios, (ta/sa)/(to/so))
		b.Logf("pair %d: ollama %.0f tok/s, openai %.0f tok/s", i, to/so, ta/sa)
	}
	slices.Sort(ratios)
	b.ReportMetric(tokO/secO, "ollama-tok/s")
	b.ReportMetric(tokA/secA, "openai-tok/s")
	b.ReportMetric((tokA/secA)/(tokO/secO), "openai/ollama")
	b.ReportMetric(ratios[len(ratios)/2], "median-openai/ollama")
}
