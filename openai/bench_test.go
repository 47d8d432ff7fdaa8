package openai

import "testing"

// BenchmarkOpenAIVsOllama measures the tokens per second of the same raw
// pass (the qwen3 prompt, 300 tokens of the 0.6B-shaped runaway model)
// through this backend on Ollama's /v1/completions and through Ollama's
// API, on the same server and the same loaded model, side by side in one
// run: each iteration runs both, in alternating order. The rate is the
// client's: the tokens after the first over the time from the first token
// to the last. The ratio should be at least 0.98.
//
//	go test ./openai -run '^$' -bench OpenAIVsOllama -benchtime 5x
func BenchmarkOpenAIVsOllama(b *testing.B) {
	s := needPair(b)
	c, err := New(Options{BaseURL: "http://" + s.Host})
	if err != nil {
		b.Fatal(err)
	}
	prompt := qwen3Prompt(b, "How many r's are in strawberry?")
	const n = 300
	native := map[string]any{"num_predict": n, "num_ctx": serverCtx, "seed": 1}
	v1 := map[string]any{"num_predict": n, "seed": 1}
	rate := func(p pass) float64 {
		if p.chunks < 2 || p.final.EvalCount < n {
			b.Fatalf("a pass of %d chunks, eval_count %d (%s)", p.chunks, p.final.EvalCount, p.final.DoneReason)
		}
		return float64(p.chunks-1) / p.last.Sub(p.first).Seconds()
	}
	// Warm up both: the model loads once, for both names.
	generate(b, s.Client, "p/runaway", prompt, native)
	generate(b, c, "p/runaway-raw", prompt, v1)
	var sumO, sumA, ratio float64
	i := 0
	b.ResetTimer()
	for b.Loop() {
		var o, a float64
		if i%2 == 0 {
			o = rate(generate(b, s.Client, "p/runaway", prompt, native))
			a = rate(generate(b, c, "p/runaway-raw", prompt, v1))
		} else {
			a = rate(generate(b, c, "p/runaway-raw", prompt, v1))
			o = rate(generate(b, s.Client, "p/runaway", prompt, native))
		}
		i++
		sumO += o
		sumA += a
		ratio += a / o
	}
	k := float64(i)
	b.ReportMetric(sumO/k, "ollama-tok/s")
	b.ReportMetric(sumA/k, "openai-tok/s")
	b.ReportMetric(ratio/k, "openai/ollama")
}
