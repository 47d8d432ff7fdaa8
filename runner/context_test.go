package runner

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/models"
)

// ctxBackend wraps the FAKE server's client: /api/ps answers what the test
// sets, the model's info gains the keys of the KV estimate, and the list
// gives the model a size.
type ctxBackend struct {
	*api.Client
	ps   api.ProcessResponse
	info map[string]any
	size int64
}

func (b *ctxBackend) Show(ctx context.Context, req *api.ShowRequest) (*api.ShowResponse, error) {
	s, err := b.Client.Show(ctx, req)
	if err == nil {
		maps.Copy(s.ModelInfo, b.info)
	}
	return s, err
}

func (b *ctxBackend) ListRunning(context.Context) (*api.ProcessResponse, error) { return &b.ps, nil }

func (b *ctxBackend) List(context.Context) (*api.ListResponse, error) {
	return &api.ListResponse{Models: []api.ListModelResponse{{Name: "fake:latest", Model: "fake:latest", Size: b.size, Digest: "sha256:feed"}}}, nil
}

// magistralInfo is Magistral Small 24B's shape: 163,840 KV bytes a token.
var magistralInfo = map[string]any{
	"llama.block_count": 40, "llama.embedding_length": 5120,
	"llama.attention.head_count": 32, "llama.attention.head_count_kv": 8,
	"llama.attention.key_length": 128, "llama.attention.value_length": 128,
}

// loaded is a /api/ps entry for the fake model.
func loaded(ctxLen int) api.ProcessModelResponse {
	return api.ProcessModelResponse{Name: "fake:latest", Model: "fake:latest", ContextLength: ctxLen}
}

// TestContextPolicy: where num_ctx comes from, and what it is.
func TestContextPolicy(t *testing.T) {
	userGeneric := models.Builtins()
	userGeneric = userGeneric[len(userGeneric)-1:]
	userGeneric[0].Options = map[string]any{"num_ctx": 12288}
	userGeneric[0].Source = "profiles.yaml"
	// A user file that changes the qwen3 profile keeps the built-in
	// num_ctx, a recommendation: no pin.
	inherited := models.Builtins()
	for i := range inherited {
		if inherited[i].Name == "qwen3" {
			inherited[i].Source = "profiles.yaml"
			inherited[i].Options["temperature"] = 0.5
		}
	}
	budgets := func(q *Request) {
		q.Budgets.MaxThinkTokens, q.Budgets.MaxAnswerTokens = budget.Ptr(1000), budget.Ptr(500)
	}
	tests := []struct {
		name       string
		req        func(*Request)
		ps         []api.ProcessModelResponse
		remembered int // the state's size for the model
		profiles   []models.Profile
		want       int
		source     string
	}{
		{"defaults: 8k of thinking, 2k of answer", nil, nil, 0, nil, 16384, CtxSized},
		{"budgets size the context", budgets, nil, 0, nil, 4096, CtxSized},
		{"max tokens caps the rooms", func(q *Request) { q.Budgets.MaxTokens = budget.Ptr(3000) }, nil, 0, nil, 4096, CtxSized},
		{"no thinking", func(q *Request) { q.Think = budget.Ptr(false) }, nil, 0, nil, 4096, CtxSized},
		{"a loaded context that holds the run", budgets, []api.ProcessModelResponse{loaded(32768)}, 0, nil, 32768, CtxLoaded},
		{"a loaded context too small", nil, []api.ProcessModelResponse{loaded(4096)}, 0, nil, 16384, CtxSized},
		{"another model loaded", budgets, []api.ProcessModelResponse{{Name: "other:latest", ContextLength: 32768}}, 0, nil, 4096, CtxSized},
		{"loaded, context unknown: the size rein chose", budgets, []api.ProcessModelResponse{loaded(0)}, 8192, nil, 8192, CtxRemembered},
		{"remembered but too small", nil, []api.ProcessModelResponse{loaded(0)}, 8192, nil, 16384, CtxSized},
		{"remembered but not loaded", budgets, nil, 8192, nil, 4096, CtxSized},
		{"--num-ctx pins", func(q *Request) { q.NumCtx = 6000 }, []api.ProcessModelResponse{loaded(32768)}, 0, nil, 6000, CtxFlag},
		{"a num_ctx option pins", func(q *Request) { q.Options = map[string]any{"num_ctx": 5000} }, nil, 0, nil, 5000, CtxOption},
		{"the user's profile pins", nil, nil, 0, userGeneric, 12288, CtxProfile},
		{"a built-in num_ctx does not", nil, nil, 0, inherited, 16384, CtxSized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, defaultModel())
			b := &ctxBackend{Client: f.client(), ps: api.ProcessResponse{Models: tt.ps}}
			st := NewContextState(t.TempDir(), "127.0.0.1:11434")
			if tt.remembered > 0 {
				if err := st.Remember("fake", tt.remembered); err != nil {
					t.Fatal(err)
				}
			}
			r := &Runner{Backend: b, Profiles: cmpProfiles(tt.profiles), Context: ContextConfig{State: st}}
			q := thinkReq()
			if tt.req != nil {
				tt.req(q)
			}
			rec, err := r.Run(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Budgets.NumCtx != tt.want || rec.Budgets.NumCtxSource != tt.source {
				t.Errorf("num_ctx %d (%s), want %d (%s)", rec.Budgets.NumCtx, rec.Budgets.NumCtxSource, tt.want, tt.source)
			}
			for i, req := range f.reqs() {
				if req.Options["num_ctx"] != float64(tt.want) {
					t.Errorf("request %d: num_ctx %v", i, req.Options["num_ctx"])
				}
			}
			if got := st.Last("fake:latest"); got != tt.want {
				t.Errorf("the state remembers %d, want %d", got, tt.want)
			}
		})
	}
}

func cmpProfiles(p []models.Profile) []models.Profile {
	if p == nil {
		return testProfiles()
	}
	return p
}

// TestContextFull: a run whose thinking would overflow its context is cut
// for tokens where only the answer room is left, and answers; no request
// asks for more than the context holds.
func TestContextFull(t *testing.T) {
	tests := []struct {
		name      string
		maxAnswer int
	}{
		{"answer cap", 20},
		{"default answer room, halved in a small context", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := defaultModel()
			m.natural = loopScript(500) // 2,500 tokens of thinking
			f := newFakeServer(t, m)
			r := &Runner{Backend: f.client(), Profiles: testProfiles()}
			q := thinkReq()
			q.NumCtx, q.Budgets.MaxAnswerTokens = 600, budget.Ptr(tt.maxAnswer)
			rec, err := r.Run(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if rec.CutReason != hooks.ReasonTokens || rec.Answer != "Final answer: 4." {
				t.Errorf("cut %q answer %q, want a token cut and the answer", rec.CutReason, rec.Answer)
			}
			if rec.Metrics.ThinkingTokens < 100 {
				t.Errorf("only %d thinking tokens: the answer room took the context", rec.Metrics.ThinkingTokens)
			}
			for i, req := range f.reqs() {
				np, _ := req.Options["num_predict"].(float64)
				if n := len(f.tokenize(req.Prompt)) + int(np); n > 600 {
					t.Errorf("request %d: prompt and num_predict take %d tokens of a 600-token context", i, n)
				}
			}
		})
	}
}

// TestContextMemory: a model and context that would not fit the VRAM the
// server reported warn once, before the run, and say what would fit; the
// advice holds.
func TestContextMemory(t *testing.T) {
	warnedMemory.Clear()
	f := newFakeServer(t, defaultModel())
	// A 14 GB model on a GPU that holds 16 GB: another model runs partly
	// on the CPU with 16 GB in VRAM.
	b := &ctxBackend{Client: f.client(), info: magistralInfo, size: 14e9,
		ps: api.ProcessResponse{Models: []api.ProcessModelResponse{{Name: "other:latest", Size: 17e9, SizeVRAM: 16e9}}}}
	st := NewContextState(t.TempDir(), "gpu-host:11434")
	var told []string
	r := &Runner{Backend: b, Profiles: testProfiles(), Context: ContextConfig{State: st, Warn: func(m string) { told = append(told, m) }}}
	rec, err := r.Run(context.Background(), thinkReq())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Budgets.NumCtx != 16384 || rec.Budgets.KVCacheBytes != 16384*163840 {
		t.Fatalf("num_ctx %d, KV cache %d bytes", rec.Budgets.NumCtx, rec.Budgets.KVCacheBytes)
	}
	if len(told) != 1 || len(rec.Warnings) != 1 || rec.Warnings[0] != told[0] {
		t.Fatalf("told %q, warnings %q: want one memory warning", told, rec.Warnings)
	}
	w := told[0]
	for _, s := range []string{"16384-token context", "KV cache 2.7 GB", "16 GB of VRAM", "--num-ctx 8192 fits (KV cache 1.3 GB)", "--max-think-tokens "} {
		if !strings.Contains(w, s) {
			t.Errorf("warning %q lacks %q", w, s)
		}
	}
	if st.VRAM() != 16e9 {
		t.Errorf("the state remembers %d bytes of VRAM", st.VRAM())
	}
	// Once: the next run of the same size says nothing.
	if rec, _ := r.Run(context.Background(), thinkReq()); len(rec.Warnings) != 0 || len(told) != 1 {
		t.Errorf("second run: warnings %q", rec.Warnings)
	}
	// The advice: that thinking budget gets the context that fits. The
	// VRAM is the state's now that no model runs partly on the CPU.
	b.ps = api.ProcessResponse{}
	var think int
	if _, after, ok := strings.Cut(w, "--max-think-tokens "); ok {
		think, _ = strconv.Atoi(strings.TrimRight(strings.Fields(after)[0], ",.;"))
	}
	q := thinkReq()
	q.Budgets.MaxThinkTokens = budget.Ptr(think)
	rec, err = r.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Budgets.NumCtx != 8192 || len(rec.Warnings) != 0 {
		t.Errorf("--max-think-tokens %d: num_ctx %d, warnings %q", think, rec.Budgets.NumCtx, rec.Warnings)
	}
	// A larger context than fits warns again, from the remembered VRAM.
	q = thinkReq()
	q.NumCtx = 32768
	if rec, _ := r.Run(context.Background(), q); len(rec.Warnings) != 1 || !strings.Contains(rec.Warnings[0], "--num-ctx 8192 fits") {
		t.Errorf("--num-ctx 32768: warnings %q", rec.Warnings)
	}
}

// TestContextState: one file per server, merged, written atomically.
func TestContextState(t *testing.T) {
	dir := t.TempDir()
	a := NewContextState(dir, "127.0.0.1:11434")
	other := NewContextState(dir, "[::1]:11435")
	if filepath.Base(a.Path) != "127.0.0.1_11434.json" || filepath.Base(other.Path) != "___1__11435.json" {
		t.Errorf("files %s, %s", a.Path, other.Path)
	}
	steps := []struct {
		st    *ContextState
		model string
		n     int
	}{
		{a, "qwen3:4b", 16384},
		{a, "magistral:24b", 8192},
		{other, "qwen3:4b", 4096},
		{a, "qwen3:4b", 32768},
	}
	for _, s := range steps {
		if err := s.st.Remember(s.model, s.n); err != nil {
			t.Fatal(err)
		}
	}
	// A second writer of the same file (another rein) keeps the entries.
	b := &ContextState{Path: a.Path}
	if err := b.RememberVRAM(16e9); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		st    *ContextState
		model string
		want  int
	}{
		{a, "qwen3:4b", 32768},
		{a, "magistral:24b", 8192},
		{other, "qwen3:4b", 4096},
		{other, "magistral:24b", 0},
		{a, "fake", 0},
		{nil, "qwen3:4b", 0},
	}
	for _, tt := range tests {
		if got := tt.st.Last(tt.model); got != tt.want {
			t.Errorf("Last(%s) = %d, want %d", tt.model, got, tt.want)
		}
	}
	if a.VRAM() != 16e9 || other.VRAM() != 0 {
		t.Errorf("VRAM %d and %d", a.VRAM(), other.VRAM())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("files left in the state folder: %v", entries)
	}
	if NewContextState("", "h") != nil {
		t.Error("no folder, no state")
	}
}
