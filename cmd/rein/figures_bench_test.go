package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// firstWrite records when its first write came.
type firstWrite struct {
	mu    sync.Mutex
	start time.Time
	at    time.Duration
}

func (w *firstWrite) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.at == 0 && len(b) > 0 {
		w.at = time.Since(w.start)
	}
	return len(b), nil
}

// BenchmarkRunTTFT compares the time to the first token of `rein run`
// (the command as a user runs it, in process, with a new client and a new
// connection each time so that nothing is kept from the run before, as in
// a new process) with that of the same request sent straight to Ollama,
// alternating, on the runaway model: the first write on stdout or stderr
// against the first chunk. It reports the medians and the median of the
// difference, which should be at most 20 ms.
//
//	go test ./cmd/rein -run '^$' -bench RunTTFT -benchtime 20x
func BenchmarkRunTTFT(b *testing.B) {
	s := needModels(b)
	ctx := context.Background()
	const model = "t/runaway"
	const prompt = "How many r's are in strawberry?"
	log := filepath.Join(b.TempDir(), "runs.jsonl")
	// rein's own part of its time to first token: from the request to the
	// first pass sent (metrics.clock_ms), from the run log.
	lastClock := func() float64 {
		data, err := os.ReadFile(log)
		if err != nil {
			b.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		var rec struct {
			Metrics struct {
				ClockMS float64 `json:"clock_ms"`
			} `json:"metrics"`
			Passes []struct {
				Kind string `json:"kind"`
			} `json:"passes"`
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil {
			b.Fatal(err)
		}
		if len(rec.Passes) == 0 || rec.Passes[0].Kind != "first" {
			b.Fatalf("passes %v: want no prefill pass", rec.Passes)
		}
		return rec.Metrics.ClockMS
	}
	rein := func() time.Duration {
		w := &firstWrite{start: time.Now()}
		ios := &IOStreams{In: nil, Out: w, ErrOut: w}
		opts := &RunOptions{IO: ios, Now: time.Now, Client: func() (*api.Client, error) {
			// A new connection too, as a new process opens.
			return api.NewClient(s.URL, &http.Client{Transport: &http.Transport{Proxy: nil}}), nil
		}}
		cmd := newRunCmdWith(opts)
		cmd.SetArgs([]string{model, prompt, "--num-ctx", "4096", "--max-steps", "1", "--on-limit", "stop", "--log", log})
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		if err := cmd.ExecuteContext(ctx); err != nil {
			b.Fatal(err)
		}
		return w.at
	}
	direct := func() time.Duration {
		start := time.Now()
		var first time.Duration
		err := s.Client.Generate(ctx, &api.GenerateRequest{Model: model, Prompt: prompt, Think: &api.ThinkValue{Value: true}, Options: map[string]any{"num_ctx": 4096, "num_predict": 16}}, func(r api.GenerateResponse) error {
			if first == 0 && (r.Thinking != "" || r.Response != "") {
				first = time.Since(start)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		return first
	}
	rein() // warm up: load the model at this context size
	direct()
	var rs, ds, added []time.Duration
	var clocks []float64
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		var r, d time.Duration
		if i%2 == 0 {
			r, d = rein(), direct()
		} else {
			d, r = direct(), rein()
		}
		rs, ds, added = append(rs, r), append(ds, d), append(added, r-d)
		clocks = append(clocks, lastClock())
	}
	b.StopTimer()
	median := func(xs []time.Duration) float64 {
		xs = slices.Clone(xs)
		slices.Sort(xs)
		return float64(xs[len(xs)/2].Microseconds()) / 1000
	}
	b.ReportMetric(median(ds), "direct-ttft-ms")
	b.ReportMetric(median(rs), "rein-ttft-ms")
	b.ReportMetric(median(added), "added-ttft-ms(median)")
	slices.Sort(clocks)
	b.ReportMetric(clocks[len(clocks)/2], "rein-clock-ms(median)")
}
