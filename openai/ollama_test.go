package openai

// Against a real server that speaks the protocol: Ollama's own /v1. The
// scripted model is created twice from one GGUF: with its family's
// template for Ollama's API, and with {{ .Prompt }} for /v1, where Ollama
// applies the model's template; both names share one blob, so one loaded
// runner serves them.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/template"

	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/models/scripted"
)

var srv *ollamatest.Server

// serverCtx is the context both paths run with: OLLAMA_CONTEXT_LENGTH on
// the server (what /v1, which has no num_ctx, gets) and num_ctx on
// Ollama's API, so that neither reloads the model.
const serverCtx = 4096

func TestMain(m *testing.M) {
	flag.Parse()
	if fuzzing() {
		os.Exit(m.Run()) // the fuzz target needs no server, nor each worker one
	}
	os.Exit(ollamatest.RunMain(m, &srv, ollamatest.Options{Env: []string{"OLLAMA_CONTEXT_LENGTH=4096"}}))
}

// fuzzing reports whether the binary runs a fuzz target (go test -fuzz),
// as the coordinator or as one of its workers.
func fuzzing() bool {
	f, w := flag.Lookup("test.fuzz"), flag.Lookup("test.fuzzworker")
	return f != nil && f.Value.String() != "" || w != nil && w.Value.String() == "true"
}

var (
	pairMu sync.Mutex
	pairs  = map[string]error{}
)

// needPair creates p/runaway (qwen3 template) and p/runaway-raw ({{ .Prompt }})
// from one scripted runaway model of the size preset size ("" the
// smallest, "0.6b" …), suffixed -SIZE for a preset, and returns the server
// and the two names.
func needPair(t testing.TB, size string) (s *ollamatest.Server, native, raw string) {
	t.Helper()
	s = ollamatest.Need(t, srv)
	native, raw = "p/runaway", "p/runaway-raw"
	if size != "" {
		native, raw = native+"-"+size, raw+"-"+size
	}
	pairMu.Lock()
	defer pairMu.Unlock()
	err, done := pairs[size]
	if !done {
		err = createPair(s, size, native, raw)
		pairs[size] = err
	}
	if err != nil {
		t.Fatal(err)
	}
	return s, native, raw
}

func createPair(s *ollamatest.Server, size, native, rawName string) error {
	sz, ok := scripted.Presets[size]
	if !ok && size != "" {
		return fmt.Errorf("no size preset %q", size)
	}
	m, err := scripted.Build(scripted.Spec{Family: "qwen3", Size: sz, Script: scripted.Script{
		Thinking: "\nThe user asks how many r's appear in strawberry.\n\nLet me count each letter one by one.\n\nWait, I should re-read what was asked.\n\n",
		Loop:     true, Answer: "\n\nThere are three r's.",
	}})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir, _ := os.MkdirTemp("", "rein-openai-*")
	defer os.RemoveAll(dir)
	if err := scripted.Create(ctx, s.Client, native, m, dir); err != nil {
		return err
	}
	raw := *m
	raw.Family.Template = "{{ .Prompt }}"
	return scripted.Create(ctx, s.Client, rawName, &raw, dir)
}

// qwen3Prompt renders a question with the qwen3 profile's template, as
// the runner does.
func qwen3Prompt(t testing.TB, question string) string {
	t.Helper()
	src, _ := ProfileTemplate("qwen3")
	tmpl, err := template.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, template.Values{Messages: []api.Message{{Role: "user", Content: question}}, Think: true, IsThinkSet: true}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// pass is one raw generation: its text and final response.
type pass struct {
	text   string
	chunks int
	final  api.GenerateResponse
	first  time.Time
	last   time.Time
	start  time.Time
}

func generate(t testing.TB, b interface {
	Generate(context.Context, *api.GenerateRequest, api.GenerateResponseFunc) error
}, model, prompt string, opts map[string]any) pass {
	t.Helper()
	f := false
	req := &api.GenerateRequest{Model: model, Prompt: prompt, Raw: true, Think: &api.ThinkValue{Value: false}, Options: opts, Logprobs: true, Shift: &f}
	var p pass
	p.start = time.Now()
	err := b.Generate(context.Background(), req, func(r api.GenerateResponse) error {
		if r.Response != "" {
			if p.chunks == 0 {
				p.first = time.Now()
			}
			p.last = time.Now()
			p.chunks++
			p.text += r.Response
		}
		if r.Done {
			p.final = r
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", model, err)
	}
	return p
}

// TestOllamaV1Segment: one thinking segment (the step separator as stop)
// through /v1 gives Ollama's API's text, done reason and counts; a resume
// prompt that extends the first is served from the cache (the server's
// counts and the time show no re-evaluation are not given by v1: the
// prompt counts match, and the cmd tests read the cache-slot line).
func TestOllamaV1Segment(t *testing.T) {
	s, nativeModel, rawModel := needPair(t, "")
	c, err := New(Options{BaseURL: "http://" + s.Host})
	if err != nil {
		t.Fatal(err)
	}
	prompt := qwen3Prompt(t, "How many r's are in strawberry?")
	for _, tt := range []struct {
		name string
		opts map[string]any
		done string
	}{
		{"step stop", map[string]any{"num_predict": 64, "stop": []string{"\n\n"}, "seed": 1}, "stop"},
		{"token limit", map[string]any{"num_predict": 7, "seed": 1}, "length"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			native := map[string]any{"num_ctx": serverCtx}
			for k, v := range tt.opts {
				native[k] = v
			}
			want := generate(t, s.Client, nativeModel, prompt, native)
			got := generate(t, c, rawModel, prompt, tt.opts)
			if got.text != want.text || got.text == "" {
				t.Errorf("text %q, Ollama's API gives %q", got.text, want.text)
			}
			if got.final.DoneReason != tt.done || want.final.DoneReason != tt.done {
				t.Errorf("done reason %q (API %q), want %q", got.final.DoneReason, want.final.DoneReason, tt.done)
			}
			if got.final.EvalCount != want.final.EvalCount || got.final.PromptEvalCount != want.final.PromptEvalCount {
				t.Errorf("counts eval %d prompt %d, Ollama's API eval %d prompt %d",
					got.final.EvalCount, got.final.PromptEvalCount, want.final.EvalCount, want.final.PromptEvalCount)
			}
		})
	}
}

// TestOllamaV1Models: /v1/models lists the models, and Show finds one.
func TestOllamaV1Models(t *testing.T) {
	s, _, rawModel := needPair(t, "")
	tmpl, _ := ProfileTemplate("qwen3")
	c, _ := New(Options{BaseURL: "http://" + s.Host, Template: tmpl, Family: "qwen3"})
	l, err := c.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range l.Models {
		names = append(names, m.Name)
	}
	if !strings.Contains(strings.Join(names, ","), rawModel) {
		t.Errorf("models %v", names)
	}
	if _, err := c.Show(context.Background(), &api.ShowRequest{Model: rawModel + ":latest"}); err != nil {
		t.Error(err)
	}
}

// TestOllamaV1Transcript records Ollama's /v1 stream of a short pass into
// testdata/ollama-v1.sse with -update, which TestStreamGolden replays.
func TestOllamaV1Transcript(t *testing.T) {
	if !*update {
		t.Skip("records with -update")
	}
	s, _, rawModel := needPair(t, "")
	body := `{"model":"` + rawModel + `","prompt":` + jsonString(qwen3Prompt(t, "How many r's are in strawberry?")) +
		`,"stream":true,"stream_options":{"include_usage":true},"max_tokens":6,"seed":1}`
	resp, err := http.Post("http://"+s.Host+"/v1/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	// The ids and times change from run to run.
	out := idRE.ReplaceAllString(b.String(), `"id":"cmpl-0"`)
	out = createdRE.ReplaceAllString(out, `"created":0`)
	if err := os.WriteFile("testdata/ollama-v1.sse", []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

var (
	idRE      = regexp.MustCompile(`"id":"[^"]*"`)
	createdRE = regexp.MustCompile(`"created":\d+`)
)

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
