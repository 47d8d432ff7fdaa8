package runner

import (
	"github.com/rein-dev/rein/budget"

	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkRunStream streams a runaway trace of 1k, 10k and 100k tokens from
// the FAKE NDJSON server through the whole client side of a run: decoding,
// the tag parser, the step splitter, the loop detector and the budget hooks.
// It reports rein's cost per token and the process's peak RSS, which stays
// flat: the engine keeps the trace, not a copy per token.
func BenchmarkRunStream(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			m := defaultModel()
			m.natural = loopScript(n / 5) // five tokens a step
			m.ctxLen = 4 * n
			f := newFakeServer(b, m)
			r := &Runner{Backend: f.client(), Profiles: testProfiles()}
			b.ResetTimer()
			for b.Loop() {
				// Loop 0: the detector would cut the trace; steps are
				// distinct only in count, so measure the plain stream.
				q := &Request{Model: "fake", Prompt: question, Think: budget.Ptr(true), Budgets: budget.Budgets{MaxTokens: budget.Ptr(4 * n), MaxSteps: budget.Ptr(n), OnLimit: budget.Ptr(OnLimitStop)}}
				rec, err := r.Run(context.Background(), q)
				if err != nil {
					b.Fatal(err)
				}
				if rec.Metrics.ThinkingTokens < n {
					b.Fatalf("streamed %d thinking tokens, want %d", rec.Metrics.ThinkingTokens, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/token")
			b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MB")
		})
	}
}

// peakRSS is the process's peak resident set (VmHWM) in bytes.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
