package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"
)

// endlessOllama is an upstream whose one thinking model streams steps,
// Ollama's NDJSON on both generation paths, until the client leaves.
// started receives a value when a generation has sent its first chunk.
func endlessOllama(t *testing.T, started chan<- struct{}) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/version":
			w.Write([]byte(`{"version":"0.17.4"}`))
		case "/api/tags", "/api/ps":
			w.Write([]byte(`{"models":[]}`))
		case "/api/show":
			json.NewEncoder(w).Encode(api.ShowResponse{
				Template:     "{{ range .Messages }}{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ .Content }}{{ end }}",
				Capabilities: []model.Capability{model.CapabilityCompletion, model.CapabilityThinking},
			})
		case "/api/generate", "/api/chat":
			enc := json.NewEncoder(w)
			first := true
			for {
				text := "Another step.\n\n"
				if first {
					text = "<think>" + text // the raw path: the model opens its thinking
				}
				var chunk any = api.GenerateResponse{Model: "endless", Response: text}
				if r.URL.Path == "/api/chat" {
					chunk = api.ChatResponse{Model: "endless", Message: api.Message{Role: "assistant", Thinking: "Another step.\n\n"}}
				}
				if enc.Encode(chunk) != nil {
					return
				}
				w.(http.Flusher).Flush()
				if first {
					first = false
					started <- struct{}{}
				}
				select {
				case <-r.Context().Done():
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// TestProxyShutdownFlushesRecords: `rein proxy --log L` stopped (SIGINT)
// while two streams run logs both runs before it exits: each stream is
// cut ("cut interrupted" on stderr) and its record is in L when the
// command returns.
func TestProxyShutdownFlushesRecords(t *testing.T) {
	started := make(chan struct{}, 8)
	up := endlessOllama(t, started)
	logPath := filepath.Join(t.TempDir(), "runs.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A slow stderr, as a terminal can be: each run's line comes before
	// its record is logged.
	ios, _, _ := testStreams("")
	errOut := &slowWriter{slow: "cut interrupted", delay: 300 * time.Millisecond}
	ios.ErrOut = errOut
	addr, done := goReinProxy(t, ctx, ios, errOut.String,
		"--listen", "127.0.0.1:0", "--upstream", strings.TrimPrefix(up.URL, "http://"), "--log", logPath, "--verbose")
	client := api.NewClient(&url.URL{Scheme: "http", Host: addr.String()}, http.DefaultClient)
	var wg sync.WaitGroup
	for _, path := range []string{"chat", "generate"} {
		wg.Go(func() {
			fn := func(context.Context) error { return nil }
			switch path {
			case "chat":
				fn = func(c context.Context) error {
					return client.Chat(c, &api.ChatRequest{Model: "endless", Messages: []api.Message{{Role: "user", Content: "Go on."}}},
						func(api.ChatResponse) error { return nil })
				}
			case "generate":
				fn = func(c context.Context) error {
					return client.Generate(c, &api.GenerateRequest{Model: "endless", Prompt: "Go on."},
						func(api.GenerateResponse) error { return nil })
				}
			}
			fn(context.Background()) // ends when the proxy cuts the stream
		})
	}
	for range 2 {
		select {
		case <-started:
		case <-time.After(20 * time.Second):
			t.Fatal("the two streams did not start")
		}
	}
	cancel() // SIGINT
	var r proxyExit
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("rein proxy did not stop within 30s of its interrupt")
	}
	var recs []map[string]any // read as the command returns, before the clients end
	if _, err := os.Stat(logPath); err == nil {
		recs = readLog(t, logPath)
	}
	wg.Wait()
	if r.code != exitInterrupt || strings.Count(r.stderr, "cut interrupted") != 2 {
		t.Errorf("exit %d, stderr %q: want 130 and two interrupted runs", r.code, r.stderr)
	}
	if len(recs) != 2 {
		t.Fatalf("run log holds %d records, want the 2 runs in flight at the interrupt", len(recs))
	}
	for _, rec := range recs {
		if str(rec, "cut_reason") != "interrupted" || str(rec, "model") != "endless" || str(rec, "thinking") == "" {
			t.Errorf("record: cut %q model %q thinking %q", str(rec, "cut_reason"), str(rec, "model"), str(rec, "thinking"))
		}
	}
}

// slowWriter is a buffer whose writes that hold slow take delay.
type slowWriter struct {
	slow  string
	delay time.Duration
	mu    sync.Mutex
	b     strings.Builder
}

func (w *slowWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.slow) {
		time.Sleep(w.delay)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *slowWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
