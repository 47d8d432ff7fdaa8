package proxy

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"
)

// serialUpstream is a fake NDJSON server that runs one generation at a
// time, as Ollama with OLLAMA_NUM_PARALLEL=1 does: each holds the one slot
// for work, and its final chunk reports that as its eval duration, so a
// request's wait for the slot shows in none of its durations.
func serialUpstream(t *testing.T, work time.Duration) *url.URL {
	var slot sync.Mutex
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/version":
			w.Write([]byte(`{"version":"0.17.4"}`))
			return
		case "/api/tags":
			w.Write([]byte(`{"models":[]}`))
			return
		case "/api/show":
			json.NewEncoder(w).Encode(api.ShowResponse{Template: "{{ .Prompt }}", Capabilities: []model.Capability{model.CapabilityCompletion}})
			return
		case "/api/generate", "/api/chat":
		default:
			http.NotFound(w, r)
			return
		}
		slot.Lock()
		time.Sleep(work)
		slot.Unlock()
		m := api.Metrics{PromptEvalCount: 3, PromptEvalDuration: time.Millisecond, EvalCount: 2, EvalDuration: work}
		var lines []any
		if r.URL.Path == "/api/chat" {
			lines = []any{api.ChatResponse{Model: "m", Message: api.Message{Role: "assistant", Content: "Yes."}},
				api.ChatResponse{Model: "m", Message: api.Message{Role: "assistant"}, Done: true, DoneReason: "stop", Metrics: m}}
		} else {
			lines = []any{api.GenerateResponse{Model: "m", Response: "Yes."},
				api.GenerateResponse{Model: "m", Done: true, DoneReason: "stop", Metrics: m}}
		}
		enc := json.NewEncoder(w)
		for _, l := range lines {
			enc.Encode(l)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(s.Close)
	u, _ := url.Parse(s.URL)
	return u
}

// TestProxyQueueWarning: three clients at once on a server that runs one
// request at a time: the proxy logs once what to set; one client at a time
// gets no warning.
func TestProxyQueueWarning(t *testing.T) {
	for _, tc := range []struct {
		name     string
		parallel bool
		warns    int
	}{
		{"three at once", true, 1},
		{"one at a time", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var logged []string
			ps := newTestProxy(t, Config{Upstream: serialUpstream(t, 700*time.Millisecond), Logf: func(f string, a ...any) {
				mu.Lock()
				defer mu.Unlock()
				logged = append(logged, fmt.Sprintf(f, a...))
			}})
			send := func() {
				resp, err := http.Post(ps.URL+"/api/chat", "application/json",
					strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"Is it?"}]}`))
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body) // the whole stream, as a client reads it
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("status %d", resp.StatusCode)
				}
			}
			var wg sync.WaitGroup
			for range 3 {
				if tc.parallel {
					wg.Go(send)
				} else {
					send()
				}
			}
			wg.Wait()
			mu.Lock()
			defer mu.Unlock()
			n := 0
			for _, l := range logged {
				if strings.Contains(l, "in the server's queue") {
					n++
					if !strings.Contains(l, "set OLLAMA_NUM_PARALLEL") {
						t.Errorf("the warning does not say what to set: %q", l)
					}
				}
			}
			if n != tc.warns {
				t.Errorf("%d queue warnings, want %d: %q", n, tc.warns, logged)
			}
		})
	}
}
