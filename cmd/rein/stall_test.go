package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"

	"github.com/rein-dev/rein/models"
)

// stallingServer is a fake NDJSON server (not Ollama) with one thinking
// model: a generation sends three chunks of thinking and then nothing, until
// the client goes away; a resume (the prompt holds the closing tag) answers.
func stallingServer(t *testing.T) *url.URL {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/version":
			w.Write([]byte(`{"version":"0.17.4"}`))
		case "/api/tags":
			w.Write([]byte(`{"models":[{"name":"fake:latest","model":"fake:latest","digest":"sha256:feed"}]}`))
		case "/api/show":
			json.NewEncoder(w).Encode(api.ShowResponse{
				Template:     "{{ range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n",
				Capabilities: []model.Capability{model.CapabilityCompletion, model.CapabilityThinking},
				Details:      api.ModelDetails{Family: "qwen3"},
				ModelInfo:    map[string]any{"general.architecture": "qwen3", "qwen3.context_length": 4096},
			})
		case "/api/ps":
			w.Write([]byte(`{"models":[]}`))
		case "/api/generate":
			var req api.GenerateRequest
			json.NewDecoder(r.Body).Decode(&req)
			enc := json.NewEncoder(w)
			send := func(g api.GenerateResponse) {
				g.Model = req.Model
				enc.Encode(g)
				w.(http.Flusher).Flush()
			}
			if strings.Contains(req.Prompt, "</think>") {
				send(api.GenerateResponse{Response: "Four."})
				send(api.GenerateResponse{Done: true, DoneReason: "stop", Metrics: api.Metrics{EvalCount: 2}})
				return
			}
			for _, c := range []string{"<think>", "\n", "Let me add."} {
				send(api.GenerateResponse{Response: c})
			}
			<-r.Context().Done() // and then nothing
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	u, _ := url.Parse(s.URL)
	return u
}

// Issue 18: `--max-think-time` never fired when the stream stalled, and a
// server that sends three chunks and then nothing kept `rein run` waiting
// forever. Now the time budget cuts at its deadline and the run answers as
// usual; without a budget the silence ends the run with one line that
// names the server.
func TestRunStalledStream(t *testing.T) {
	u := stallingServer(t)
	t.Setenv("OLLAMA_HOST", u.Host)
	for _, tc := range []struct {
		name     string
		idle     string
		args     []string
		wantCode int
		wantOut  string   // on stdout
		wantErr  []string // on stderr's one line; nil: no error
	}{
		{"the time budget's deadline", "1m", []string{"--max-think-time", "1s"}, exitOK, "Four.", nil},
		{"silence under a time budget", "500ms", []string{"--max-think-time", "1m"}, exitOK, "Four.", nil},
		{"silence without a budget", "500ms", nil, exitError, "", []string{u.Host, models.EnvIdleTimeout}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(models.EnvIdleTimeout, tc.idle)
			ios, out, errOut := testStreams("")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			root := newRootCmd(ios)
			root.SetArgs(append([]string{"run", "fake", "What is 2+2?", "--no-log"}, tc.args...))
			start := time.Now()
			code := exitCode(ctx, errOut, root.ExecuteContext(ctx))
			took := time.Since(start)
			if ctx.Err() != nil {
				t.Fatalf("rein run hung until the test's deadline")
			}
			if code != tc.wantCode || !strings.Contains(out.String(), tc.wantOut) {
				t.Errorf("exit %d, stdout %q, stderr %q: want exit %d and %q", code, out, errOut, tc.wantCode, tc.wantOut)
			}
			if took > 6*time.Second {
				t.Errorf("took %v", took)
			}
			if tc.wantErr == nil {
				return
			}
			msg := strings.TrimSpace(errOut.String())
			last := msg[strings.LastIndex(msg, "\n")+1:]
			if !strings.HasPrefix(last, "rein: ") {
				t.Errorf("stderr %q: want a last line starting rein:", msg)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(last, w) {
					t.Errorf("error line %q does not name %s", last, w)
				}
			}
		})
	}
}
