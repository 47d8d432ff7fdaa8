package runner

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"

	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/models/templates"
)

// This file holds a FAKE Ollama server for unit tests. It is not Ollama: it
// speaks just enough of the HTTP API (/api/version, /api/show, /api/tags,
// streaming NDJSON /api/generate) to replay scripted token streams, and it
// plays a deterministic "model" the way the scripted GGUF models do: the
// continuation depends only on the prompt. The integration tests run the
// real server.

// qwenTemplate is Qwen3's ChatML template with <think> (package templates).
var qwenTemplate, _ = templates.Lookup("qwen3")

// assistantTurn ends every rendered generation prompt of qwenTemplate.
const assistantTurn = "<|im_start|>assistant\n"

// Scripts: the model's natural output, its answer after a forced close,
// and what it says after "Wait".
var (
	naturalScript = []string{
		"<think>", "\n", "Step", " one", ".", "\n\n", "Step", " two", ".", "\n\n",
		"Step", " three", ".", "\n", "</think>", "\n\n", "The", " answer", " is", " 4", ".",
	}
	resumeScript = []string{"\n\n", "Final", " answer", ":", " 4", "."}
	waitScript   = []string{",", " let", " me", " re-check", ".", "\n", "</think>", "\n\n", "4", "."}
)

func loopScript(n int) []string {
	s := []string{"<think>", "\n"}
	for range n {
		s = append(s, "I", " am", " stuck", ".", "\n\n")
	}
	return append(s, "</think>", "Never.")
}

// fakeModel is what the fake server plays.
type fakeModel struct {
	template string
	caps     []model.Capability
	family   string
	ctxLen   int

	natural, resume, wait []string
	closeTag              string
	// after maps a text the generated part of a prompt ends with (a
	// thinking prefix) to what the model says next.
	after map[string][]string

	// chunk groups this many tokens per NDJSON line (default 1).
	chunk int
	// noLogprobs leaves logprobs out of the chunks.
	noLogprobs bool
	// dieAfter closes the connection abruptly after that many tokens of a
	// generation pass (0: never).
	dieAfter int
	// blockAfter stops sending after that many tokens of the first
	// generation pass and waits for the client to go away (0: never).
	blockAfter int
	// wedgeOnCut plays the Ollama bug that wedge.go guards against: after a
	// client leaves mid-stream, every later generation waits forever, until
	// an unload request (empty prompt, keep_alive 0) arrives.
	wedgeOnCut bool
	// psHangs makes /api/ps hang until the client leaves, as a server
	// stuck deeper than the lost slot does.
	psHangs bool
	// version is what /api/version says (default 0.17.4); from 0.33.3 on
	// the final chunk carries prompt_eval_cached_count, as Ollama's does.
	version string
}

// fakeServer is the FAKE Ollama server.
type fakeServer struct {
	t  testing.TB
	m  fakeModel
	hs *httptest.Server

	mu        sync.Mutex
	requests  []api.GenerateRequest // every /api/generate request, in order
	evaluated []int                 // per request: prompt tokens not found in the cache
	cache     []string              // tokens of the last prompt and its output
	vocab     map[string]bool
	// slot is the model runner's one generation slot (wedgeOnCut): a
	// generation holds it, and one whose client left mid-stream never gives
	// it back, as in Ollama 0.17.4. An unload makes a new runner.
	slot    chan struct{}
	stalled int // requests that gave up waiting for the slot
	unloads int // unload requests
	// As Ollama's scheduler does, an unload waits until no request holds
	// or awaits the runner (refs), and /api/ps lists the model while it
	// is loaded.
	refs     int
	expiring bool
	loaded   bool
}

func newFakeServer(t testing.TB, m fakeModel) *fakeServer {
	t.Helper()
	if m.template == "" {
		m.template = qwenTemplate
	}
	if m.caps == nil {
		m.caps = []model.Capability{model.CapabilityCompletion, model.CapabilityThinking}
	}
	if m.ctxLen == 0 {
		m.ctxLen = 40960
	}
	if m.closeTag == "" {
		m.closeTag = "</think>"
	}
	if m.chunk == 0 {
		m.chunk = 1
	}
	f := &fakeServer{t: t, m: m, vocab: map[string]bool{}, slot: make(chan struct{}, 1)}
	scripts := [][]string{m.natural, m.resume, m.wait}
	for _, s := range m.after {
		scripts = append(scripts, s)
	}
	for _, s := range scripts {
		for _, p := range s {
			f.vocab[p] = true
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"version": cmp.Or(m.version, "0.17.4")})
	})
	mux.HandleFunc("GET /api/tags", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, api.ListResponse{Models: []api.ListModelResponse{{Name: "fake:latest", Model: "fake:latest", Digest: "sha256:feed"}}})
	})
	mux.HandleFunc("POST /api/show", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, api.ShowResponse{
			Template:     m.template,
			Capabilities: m.caps,
			Details:      api.ModelDetails{Family: m.family},
			ModelInfo:    map[string]any{"general.architecture": "llama", "llama.context_length": m.ctxLen},
		})
	})
	mux.HandleFunc("POST /api/generate", f.generate)
	mux.HandleFunc("GET /api/ps", func(w http.ResponseWriter, r *http.Request) {
		if f.m.psHangs {
			<-r.Context().Done()
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		var ps api.ProcessResponse
		if f.loaded {
			ps.Models = append(ps.Models, api.ProcessModelResponse{Name: "fake:latest", Model: "fake:latest"})
		}
		writeJSON(w, ps)
	})
	f.hs = httptest.NewServer(mux)
	t.Cleanup(f.hs.Close)
	return f
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// client returns an Ollama API client for the fake.
func (f *fakeServer) client() *api.Client {
	u, _ := url.Parse(f.hs.URL)
	return api.NewClient(u, f.hs.Client())
}

// tokenize splits text the fake's way: the longest piece of the scripts
// (or tag) that matches, else one byte.
func (f *fakeServer) tokenize(s string) []string {
	var out []string
	for len(s) > 0 {
		best := 1
		for p := range f.vocab {
			if len(p) > best && strings.HasPrefix(s, p) {
				best = len(p)
			}
		}
		out = append(out, s[:best])
		s = s[best:]
	}
	return out
}

// continuation picks what the model generates after prompt.
func (f *fakeServer) continuation(prompt string) []string {
	i := strings.LastIndex(prompt, assistantTurn)
	if i < 0 {
		return nil
	}
	gen := prompt[i+len(assistantTurn):]
	var acc string
	for k := 0; k <= len(f.m.natural); k++ {
		if acc == gen {
			return f.m.natural[k:]
		}
		if k < len(f.m.natural) {
			acc += f.m.natural[k]
		}
	}
	for suffix, toks := range f.m.after {
		if strings.HasSuffix(gen, suffix) {
			return toks
		}
	}
	switch {
	case strings.HasSuffix(gen, f.m.closeTag):
		return f.m.resume
	case strings.HasSuffix(gen, "Wait"):
		return f.m.wait
	}
	return nil
}

func (f *fakeServer) generate(w http.ResponseWriter, r *http.Request) {
	var req api.GenerateRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if req.Prompt == "" && req.KeepAlive != nil && req.KeepAlive.Duration == 0 {
		f.mu.Lock()
		f.unloads++
		f.expiring = true
		f.unloadIfIdle()
		f.mu.Unlock()
		writeJSON(w, api.GenerateResponse{Model: req.Model, Done: true, DoneReason: "unload"})
		return
	}
	lost := false // the client left mid-stream: the slot is never given back
	if f.m.wedgeOnCut {
		f.mu.Lock()
		slot := f.slot
		f.refs++
		f.loaded = true
		f.mu.Unlock()
		defer func() {
			f.mu.Lock()
			f.refs--
			f.unloadIfIdle()
			f.mu.Unlock()
		}()
		select {
		case slot <- struct{}{}:
		case <-r.Context().Done():
			f.mu.Lock()
			f.stalled++
			f.mu.Unlock()
			return
		}
		defer func() {
			if !lost {
				<-slot
			}
		}()
	}
	np := 0
	if v, ok := req.Options["num_predict"].(float64); ok {
		np = int(v)
	}
	toks := f.continuation(req.Prompt)
	ptoks := f.tokenize(req.Prompt)

	f.mu.Lock()
	n := len(f.requests)
	f.requests = append(f.requests, req)
	afterPrefill := n == 1 && f.requests[0].Options["num_predict"] == 1.0
	common := 0
	for common < len(ptoks) && common < len(f.cache) && ptoks[common] == f.cache[common] {
		common++
	}
	if common == len(ptoks) && common > 0 {
		common-- // at least one token is evaluated
	}
	eval := len(ptoks) - common
	f.evaluated = append(f.evaluated, eval)
	f.cache = ptoks
	f.mu.Unlock()

	if toks == nil {
		http.Error(w, `{"error":"fake: no continuation for this prompt"}`, http.StatusInternalServerError)
		return
	}
	// The first generation pass: request 0, or 1 after a prefill pass
	// (num_predict 1).
	prefill := n == 0 && np == 1
	first := (n == 0 && !prefill) || (n == 1 && afterPrefill)
	finished := false
	defer func() {
		lost = !finished && r.Context().Err() != nil
	}()
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	fl := w.(http.Flusher)
	sent := 0
	reason := "stop"
	// Stop sequences as Ollama's runner plays them: text that may begin a
	// stop is held back; a stop found is stripped with what follows it, and
	// the pass ends with done reason "stop" and no end-of-sequence token.
	stops, _ := req.Options["stop"].([]any)
	var held []string
	stopped := false
	for sent < len(toks) && !stopped {
		if np > 0 && sent >= np {
			reason = "length"
			break
		}
		if f.m.blockAfter > 0 && first && sent >= f.m.blockAfter {
			<-r.Context().Done()
			return
		}
		if f.m.dieAfter > 0 && !prefill && sent >= f.m.dieAfter {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		k := min(f.m.chunk, len(toks)-sent)
		if np > 0 {
			k = min(k, np-sent)
		}
		resp := api.GenerateResponse{Model: req.Model}
		for _, tk := range toks[sent : sent+k] {
			held = append(held, tk)
			sent++
			text := strings.Join(held, "")
			if i, ok := findStop(text, stops); ok {
				// Keep the whole tokens before the stop.
				var keep []string
				n := 0
				for _, h := range held {
					if n+len(h) > i {
						break
					}
					keep, n = append(keep, h), n+len(h)
				}
				held, stopped = keep, true
				break
			}
			if holdsStopPrefix(text, stops) {
				continue
			}
			for _, h := range held {
				resp.Response += h
				if !f.m.noLogprobs {
					resp.Logprobs = append(resp.Logprobs, api.Logprob{TokenLogprob: api.TokenLogprob{Token: h}})
				}
			}
			f.mu.Lock()
			f.cache = append(f.cache, held...)
			f.mu.Unlock()
			held = held[:0]
		}
		if stopped {
			for _, h := range held {
				resp.Response += h
				if !f.m.noLogprobs {
					resp.Logprobs = append(resp.Logprobs, api.Logprob{TokenLogprob: api.TokenLogprob{Token: h}})
				}
			}
			f.mu.Lock()
			f.cache = append(f.cache, held...)
			f.mu.Unlock()
		}
		if resp.Response == "" {
			continue
		}
		if err := enc.Encode(resp); err != nil {
			return
		}
		fl.Flush()
	}
	evalCount := sent
	if reason == "stop" && !stopped {
		evalCount++ // the end-of-sequence token
	}
	var cached *int
	if models.CapsFor(cmp.Or(f.m.version, "0.17.4")).CachedCount {
		c := len(ptoks) - eval
		cached = &c
	}
	_ = enc.Encode(api.GenerateResponse{
		Model: req.Model, Done: true, DoneReason: reason,
		Metrics: api.Metrics{
			PromptEvalCachedCount: cached,
			LoadDuration:          time.Duration(n+1) * time.Millisecond,
			PromptEvalCount:       len(ptoks),
			PromptEvalDuration:    time.Duration(eval) * time.Millisecond,
			EvalCount:             evalCount,
			EvalDuration:          time.Duration(evalCount) * 10 * time.Millisecond,
		},
	})
	fl.Flush()
	finished = true
}

// findStop returns where the first of the stop sequences begins in text.
func findStop(text string, stops []any) (int, bool) {
	for _, st := range stops {
		if st, ok := st.(string); ok && st != "" {
			if i := strings.Index(text, st); i >= 0 {
				return i, true
			}
		}
	}
	return 0, false
}

// holdsStopPrefix reports whether text ends with the beginning of a stop.
func holdsStopPrefix(text string, stops []any) bool {
	for _, st := range stops {
		if st, ok := st.(string); ok {
			for i := 1; i < len(st); i++ {
				if strings.HasSuffix(text, st[:i]) {
					return true
				}
			}
		}
	}
	return false
}

// unloadIfIdle carries out a pending unload once no request holds or awaits
// the runner: a new runner, and the lost slot goes with the old one. The
// caller holds f.mu.
func (f *fakeServer) unloadIfIdle() {
	if f.expiring && f.refs == 0 {
		f.slot = make(chan struct{}, 1)
		f.expiring, f.loaded = false, false
	}
}

func (f *fakeServer) reqs() []api.GenerateRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]api.GenerateRequest(nil), f.requests...)
}

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// tickingBackend wraps a backend and moves the fake clock 10ms before each
// streamed chunk reaches the runner, so token times are deterministic.
type tickingBackend struct {
	Backend
	clock *fakeClock
}

func (b tickingBackend) Generate(ctx context.Context, req *api.GenerateRequest, fn api.GenerateResponseFunc) error {
	return b.Backend.Generate(ctx, req, func(r api.GenerateResponse) error {
		b.clock.Advance(10 * time.Millisecond)
		return fn(r)
	})
}

func (b tickingBackend) Chat(ctx context.Context, req *api.ChatRequest, fn api.ChatResponseFunc) error {
	return b.Backend.Chat(ctx, req, func(r api.ChatResponse) error {
		b.clock.Advance(10 * time.Millisecond)
		return fn(r)
	})
}

// ListRunning passes through for the wedge guard.
func (b tickingBackend) ListRunning(ctx context.Context) (*api.ProcessResponse, error) {
	if l, ok := b.Backend.(RunningLister); ok {
		return l.ListRunning(ctx)
	}
	return &api.ProcessResponse{}, nil
}

// List passes through so the record gets the digest.
func (b tickingBackend) List(ctx context.Context) (*api.ListResponse, error) {
	if l, ok := b.Backend.(Lister); ok {
		return l.List(ctx)
	}
	return nil, nil
}
