package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/models/scripted"
	"github.com/rein-dev/rein/proxy"
)

// streamStats times one streaming chat: when the first thinking chunk came
// (after the request went out), and how fast the thinking chunks came.
type streamStats struct {
	ttft   time.Duration
	tokens int           // thinking chunks
	span   time.Duration // from the first thinking chunk to the last
	// The server's own figures from the final chunk.
	evalCount int
	evalDur   time.Duration
}

func timeChat(tb testing.TB, base, body string) streamStats {
	tb.Helper()
	start := time.Now()
	resp := postJSON(tb, base+"/api/chat", body)
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		tb.Fatalf("%s: %d %s", base, resp.StatusCode, b)
	}
	var st streamStats
	var first, last time.Time
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var c api.ChatResponse
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			tb.Fatal(err)
		}
		if c.Done {
			st.evalCount, st.evalDur = c.EvalCount, c.EvalDuration
		}
		if c.Message.Thinking == "" {
			continue
		}
		now := time.Now()
		if st.tokens == 0 {
			first = now
		}
		last = now
		st.tokens++
	}
	st.ttft, st.span = first.Sub(start), last.Sub(first)
	return st
}

var benchModelOnce sync.Once

// BenchmarkProxy compares what a streaming client sees through the proxy
// with what it sees straight from Ollama, in the same run, alternating: the
// thinking tokens per second, as a ratio, and the time to the first token.
// The model is scripted with the per-token cost of a real 0.6B 4-bit model
// (scripted.Presets["0.6b"], a ~260 MB GGUF written to a temporary folder).
//
//	go test -run '^$' -bench Proxy -benchtime 5x ./cmd/rein/
func BenchmarkProxy(b *testing.B) {
	s := ollamatest.Need(b, srv)
	const model = "bench/proxy-0.6b"
	benchModelOnce.Do(func() {
		m, err := scripted.Build(scripted.Spec{Family: "qwen3", Size: scripted.Presets["0.6b"], Script: scripted.Script{
			Thinking: "\nThe user asks how many r's appear in strawberry.\n\nLet me count each letter one by one.\n\nWait, I should re-read what was asked.\n\n",
			Loop:     true, Answer: "\n\nThere are three r's.",
		}})
		if err != nil {
			b.Fatal(err)
		}
		dir, err := os.MkdirTemp("", "rein-bench-*")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := scripted.Create(ctx, s.Client, model, m, dir); err != nil {
			b.Fatal(err)
		}
	})
	rig := startProxy(b, s, proxy.Config{})
	const tokens = 200
	direct := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"How many r's are in strawberry?"}],"options":{"num_predict":%d,"num_ctx":4096}}`, model, tokens)
	proxied := strings.Replace(direct, `"num_ctx":4096`, `"num_ctx":4096,"rein_loop":0`, 1)
	// Warm up: load the model, fill the cache.
	timeChat(b, s.URL.String(), direct)
	timeChat(b, rig.URL.String(), proxied)

	var d, p streamStats
	var added []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var sd, sp streamStats
		if i%2 == 0 {
			sd, sp = timeChat(b, s.URL.String(), direct), timeChat(b, rig.URL.String(), proxied)
		} else {
			sp, sd = timeChat(b, rig.URL.String(), proxied), timeChat(b, s.URL.String(), direct)
		}
		if sd.tokens < tokens/2 || sp.tokens < tokens/2 {
			b.Fatalf("thinking chunks: direct %d, proxy %d", sd.tokens, sp.tokens)
		}
		d.tokens, d.span = d.tokens+sd.tokens-1, d.span+sd.span
		p.tokens, p.span = p.tokens+sp.tokens-1, p.span+sp.span
		d.evalCount, d.evalDur = d.evalCount+sd.evalCount, d.evalDur+sd.evalDur
		p.evalCount, p.evalDur = p.evalCount+sp.evalCount, p.evalDur+sp.evalDur
		added = append(added, sp.ttft-sd.ttft)
		d.ttft, p.ttft = d.ttft+sd.ttft, p.ttft+sp.ttft
	}
	b.StopTimer()
	dtps := float64(d.tokens) / d.span.Seconds()
	ptps := float64(p.tokens) / p.span.Seconds()
	slices.Sort(added)
	b.ReportMetric(dtps, "direct-tok/s")
	b.ReportMetric(ptps, "proxy-tok/s")
	b.ReportMetric(ptps/dtps, "proxy/direct")
	// The server's own rate for each (Ollama's eval_count/eval_duration;
	// the proxy's final chunk adds up its passes): a difference here is
	// the server's, not the forwarding's.
	dserver := float64(d.evalCount) / d.evalDur.Seconds()
	pserver := float64(p.evalCount) / p.evalDur.Seconds()
	b.ReportMetric(dserver, "direct-server-tok/s")
	b.ReportMetric(pserver, "proxy-server-tok/s")
	b.ReportMetric(float64(d.ttft.Microseconds())/1000/float64(b.N), "direct-ttft-ms")
	b.ReportMetric(float64(p.ttft.Microseconds())/1000/float64(b.N), "proxy-ttft-ms")
	b.ReportMetric(float64(added[len(added)/2].Microseconds())/1000, "added-ttft-ms(median)")
}
