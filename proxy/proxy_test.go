package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/runner"
)

func TestTakeOptions(t *testing.T) {
	p := budget.Ptr[int]
	opts := map[string]any{
		"rein_max_steps": 3.0, "rein_max_think_tokens": "40", "rein_max_think_time": "1.5s", "rein_max_answer_tokens": 7.0,
		"rein_loop": 0.0, "rein_min_steps": 2.0, "rein_on_limit": "stop", "rein_step_split": "line", "rein_budget_message": "Stop.",
		"rein_exit_on_agreement": 2.0, "rein_exit_on_confidence": "0.9",
		"temperature": 0.5,
	}
	b, err := takeOptions(Budgets{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := Budgets{MaxSteps: p(3), MaxThinkTokens: p(40), MaxThinkTime: budget.Ptr(1500 * time.Millisecond), MaxAnswerTokens: p(7),
		Loop: p(0), MinSteps: p(2), OnLimit: budget.Ptr("stop"), StepMode: budget.Ptr(hooks.StepLine), BudgetMessage: budget.Ptr("Stop."),
		ExitOnAgreement: p(2), ExitOnConfidence: budget.Ptr(0.9)}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("budgets %+v, want %+v", b, want)
	}
	if len(opts) != 1 || opts["temperature"] != 0.5 {
		t.Errorf("options left %v, want only temperature", opts)
	}
	if d, err := takeOptions(Budgets{}, map[string]any{"rein_max_think_time": 250.0}); err != nil || *d.MaxThinkTime != 250*time.Millisecond {
		t.Errorf("milliseconds: %v %v", d.MaxThinkTime, err)
	}
	// Every option the table names is taken.
	for _, k := range budget.Keys(budget.ByOption) {
		n, _ := budget.Lookup(k, budget.ByOption)
		v := any(1.0)
		switch n.Kind {
		case budget.KindChoice:
			v = n.Choices[0]
		case budget.KindStepMode:
			v = "line"
		case budget.KindText:
			v = "x"
		}
		if b, err := takeOptions(Budgets{}, map[string]any{k: v}); err != nil || !n.IsSet(b) {
			t.Errorf("%s: %v, set %v", k, err, n.IsSet(b))
		}
	}

	for _, bad := range []map[string]any{
		{"rein_max_stepz": 1.0},
		{"rein_max_steps": -1.0},
		{"rein_max_steps": 1.5},
		{"rein_max_steps": "many"},
		{"rein_max_steps": true},
		{"rein_max_think_time": "-1s"},
		{"rein_max_think_time": "soon"},
		{"rein_on_limit": "later"},
		{"rein_on_limit": 1.0},
		{"rein_step_split": "word"},
		{"rein_budget_message": 3.0},
		{"rein_exit_on_agreement": -2.0},
		{"rein_exit_on_confidence": 1.5},
		{"rein_exit_on_confidence": "sure"},
	} {
		_, err := takeOptions(Budgets{}, bad)
		var oe *optionError
		if err == nil || !errorsAs(err, &oe) {
			t.Errorf("%v: error %v, want an option error", bad, err)
		}
	}
	_, err = takeOptions(Budgets{}, map[string]any{"rein_b": 1.0, "rein_a": 1.0})
	if err == nil || !strings.Contains(err.Error(), "unknown option rein_a ") {
		t.Errorf("two unknown options: %v, want the first in order", err)
	}
}

func errorsAs(err error, oe **optionError) bool {
	e, ok := err.(*optionError)
	*oe = e
	return ok
}

func TestBudgetsValidate(t *testing.T) {
	p := budget.Ptr[int]
	for _, b := range []Budgets{
		{MaxSteps: p(-1)}, {MaxThinkTime: budget.Ptr(-time.Second)}, {OnLimit: budget.Ptr("maybe")}, {StepMode: budget.Ptr(hooks.StepMode("words"))},
		{MaxTokens: p(10), MaxAnswerTokens: p(10)}, {MaxAnswerTokens: p(runner.DefaultMaxTokens)},
		{MaxThinkTokens: p(math.MaxInt)}, {MaxTokens: p(hooks.LimitTokens + 1)}, {MaxSteps: p(hooks.LimitSteps + 1)},
		{Loop: p(math.MaxInt)}, {MinSteps: p(math.MaxInt)}, {MaxThinkTime: budget.Ptr(time.Duration(math.MaxInt64))},
	} {
		if b.Validate(nil) == nil {
			t.Errorf("%+v: no error", b)
		}
	}
	if err := (Budgets{MaxTokens: p(100), MaxAnswerTokens: p(50), OnLimit: budget.Ptr("stop"), StepMode: budget.Ptr(hooks.StepMarker)}).Validate(nil); err != nil {
		t.Error(err)
	}
}

// TestFinalMetrics: the final chunk's figures are the record's, the same
// as rein run --verbose shows (runner.Metrics), in Ollama's units.
func TestFinalMetrics(t *testing.T) {
	cached := 4
	rec := &runner.Record{Metrics: runner.Metrics{WallMS: 2000, LoadMS: 100, PromptTokens: 30, PromptMS: 50, EvalCount: 46, EvalMS: 460},
		Passes: []runner.Pass{{Kind: runner.PassFirst, PromptCachedCount: &cached}}}
	ms := time.Millisecond
	want := api.Metrics{TotalDuration: 2 * time.Second, LoadDuration: 100 * ms, PromptEvalCount: 30, PromptEvalCachedCount: &cached,
		PromptEvalDuration: 50 * ms, EvalCount: 46, EvalDuration: 460 * ms}
	if m := rec.OllamaMetrics(); m.TotalDuration != want.TotalDuration || m.LoadDuration != want.LoadDuration ||
		m.PromptEvalCount != want.PromptEvalCount || m.PromptEvalDuration != want.PromptEvalDuration ||
		m.EvalCount != want.EvalCount || m.EvalDuration != want.EvalDuration || m.PromptEvalCachedCount == nil || *m.PromptEvalCachedCount != 4 {
		t.Errorf("metrics %+v, want %+v", m, want)
	}
	for _, c := range []struct {
		rec  runner.Record
		want string
	}{
		{runner.Record{Ending: runner.Ending{DoneReason: "length"}}, "length"},
		{runner.Record{Ending: runner.Ending{CutReason: "steps"}}, "length"},
		{runner.Record{}, "stop"},
	} {
		if got := doneReason(&c.rec); got != c.want {
			t.Errorf("done reason of %+v: %q, want %q", c.rec, got, c.want)
		}
	}
}

func TestAllowedHost(t *testing.T) {
	for _, h := range []string{"localhost", "localhost:11435", "127.0.0.1:1", "[::1]:8", "10.1.2.3", "0.0.0.0", "box.local", "x.localhost:3", "svc.internal", ""} {
		if !allowedHost(h) {
			t.Errorf("%q refused", h)
		}
	}
	for _, h := range []string{"example.com", "attacker.example:11435", "8.8.8.8", "localhost.example.com"} {
		if allowedHost(h) {
			t.Errorf("%q allowed", h)
		}
	}
}

func TestOriginAllowed(t *testing.T) {
	t.Setenv("OLLAMA_ORIGINS", "https://ui.example,https://*.trusted.example")
	p, err := New(Config{Upstream: &url.URL{Scheme: "http", Host: "127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	for origin, want := range map[string]bool{
		"":                             true,
		"http://localhost:3000":        true,
		"http://127.0.0.1":             true,
		"https://ui.example":           true,
		"https://app.trusted.example":  true,
		"chrome-extension://abc":       true,
		"http://proxy.test:1":          true, // the same origin
		"https://attacker.example":     false,
		"https://trusted.example.evil": false,
		"null":                         false,
	} {
		r := httptest.NewRequest("POST", "http://proxy.test:1/api/chat", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if got := p.originAllowed(r); got != want {
			t.Errorf("origin %q: allowed %v, want %v", origin, got, want)
		}
	}
}

// fakeOllama is an upstream that knows no models and redirects /api/ps.
func fakeOllama(t *testing.T, elsewhere string) (*httptest.Server, *sync.Map) {
	var seen sync.Map // path -> body
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen.Store(r.URL.Path, string(b))
		switch r.URL.Path {
		case "/api/version":
			w.Write([]byte(`{"version":"0.17.4"}`))
		case "/api/show":
			if strings.Contains(string(b), "redirect") {
				http.Redirect(w, r, elsewhere+"/steal", http.StatusTemporaryRedirect)
				return
			}
			w.WriteHeader(404)
			w.Write([]byte(`{"error":"model 'ghost' not found"}`))
		case "/api/ps":
			http.Redirect(w, r, elsewhere+"/steal", http.StatusFound)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"echo":` + string(mustJSON(string(b))) + `,"host":` + string(mustJSON(r.Host)) + `}`))
		}
	}))
	t.Cleanup(s.Close)
	return s, &seen
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func newTestProxy(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(p)
	t.Cleanup(s.Close)
	return s
}

func TestProxyHandler(t *testing.T) {
	var stolen atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { stolen.Add(1) }))
	defer other.Close()
	up, seen := fakeOllama(t, other.URL)
	upURL, _ := url.Parse(up.URL)
	var panicked atomic.Bool
	ps := newTestProxy(t, Config{Upstream: upURL, OnRecord: func(*runner.Record) {
		if !panicked.Swap(true) {
			panic("hook exploded")
		}
	}, Logf: func(string, ...any) {}})

	post := func(path, body string) (int, string) {
		resp, err := http.Post(ps.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// A panic in a run is answered with 500; the proxy goes on.
	code, body := post("/api/chat", `{"model":"ghost","messages":[{"role":"user","content":"hi"}]}`)
	if code != 500 || !strings.Contains(body, "hook exploded") {
		t.Errorf("panic: %d %s", code, body)
	}
	code, body = post("/api/chat", `{"model":"ghost","messages":[{"role":"user","content":"hi"}]}`)
	if code != 404 || body != `{"error":"model 'ghost' not found"}`+"\n" {
		t.Errorf("unknown model: %d %s", code, body)
	}

	// Pass-through: the body loses its rein_* options and keeps the rest,
	// fields rein does not know included; the Host is the upstream's.
	code, body = post("/api/embed", `{"model":"m","input":"x"}`)
	if code != 200 || !strings.Contains(body, `"host":"`+upURL.Host+`"`) {
		t.Errorf("embed: %d %s", code, body)
	}
	code, _ = post("/api/generate", `{"model":"m","raw":true,"prompt":"x","future_field":[1],"options":{"rein_max_steps":2,"seed":7}}`)
	got, _ := seen.Load("/api/generate")
	if code != 200 || strings.Contains(got.(string), "rein_") || !strings.Contains(got.(string), `"future_field":[1]`) || !strings.Contains(got.(string), `"seed":7`) {
		t.Errorf("raw generate went upstream as %v (status %d)", got, code)
	}

	// Redirects go back to the client as they are, never followed.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(ps.URL + "/api/ps")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || stolen.Load() != 0 {
		t.Errorf("redirect: status %d, other server hit %d times", resp.StatusCode, stolen.Load())
	}
	// The runner's own client does not follow them either.
	post("/api/chat", `{"model":"redirect","stream":false,"messages":[{"role":"user","content":"hi"}]}`)
	if got, _ := seen.Load("/api/show"); !strings.Contains(got.(string), "redirect") || stolen.Load() != 0 {
		t.Errorf("show %v; other server hit %d times", got, stolen.Load())
	}

	// Bad upstream URLs are refused.
	for _, u := range []*url.URL{nil, {Scheme: "ftp", Host: "x"}, {Scheme: "http"}} {
		if _, err := New(Config{Upstream: u}); err == nil {
			t.Errorf("upstream %v accepted", u)
		}
	}
}

// TestProxyUpstreamDown: an upstream that does not answer gives 502 with
// Ollama's error object, on intercepted and passed-through paths alike.
func TestProxyUpstreamDown(t *testing.T) {
	ps := newTestProxy(t, Config{Upstream: &url.URL{Scheme: "http", Host: "127.0.0.1:1"}, Logf: func(string, ...any) {}})
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/chat", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`},
		{"GET", "/api/tags", ""},
	} {
		req, _ := http.NewRequest(c.method, ps.URL+c.path, strings.NewReader(c.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadGateway || !strings.Contains(e.Error, "cannot reach Ollama at http://127.0.0.1:1") {
			t.Errorf("%s: %d %q", c.path, resp.StatusCode, e.Error)
		}
	}
}

// fakeChatModel is an upstream with one thinking model that answers a
// resumed reply with a tool call, streaming as Ollama does.
func fakeChatModel(t *testing.T) *url.URL {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/version":
			w.Write([]byte(`{"version":"0.17.4"}`))
			return
		case "/api/tags":
			w.Write([]byte(`{"models":[]}`))
			return
		case "/api/show":
			json.NewEncoder(w).Encode(api.ShowResponse{
				Template:     "{{ range .Messages }}{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ .Content }}{{ .Tools }}{{ end }}",
				Capabilities: []model.Capability{model.CapabilityCompletion, model.CapabilityThinking, model.CapabilityTools},
			})
			return
		case "/api/chat":
		default:
			http.NotFound(w, r)
			return
		}
		var req api.ChatRequest
		json.NewDecoder(r.Body).Decode(&req)
		var chunks []api.ChatResponse
		switch last := req.Messages[len(req.Messages)-1]; {
		case req.Options["num_predict"] == 1.0:
			chunks = []api.ChatResponse{{Message: api.Message{Thinking: "Step"}}}
		case last.Role == "assistant":
			call := api.ToolCall{ID: "call_1", Function: api.ToolCallFunction{Name: "get_weather"}}
			call.Function.Arguments.Set("city", "Paris")
			chunks = []api.ChatResponse{{Message: api.Message{ToolCalls: []api.ToolCall{call}}}}
		default:
			for _, s := range []string{"Step one.", "\n\n", "Step two.", "\n\n", "Step three."} {
				chunks = append(chunks, api.ChatResponse{Message: api.Message{Thinking: s}})
			}
		}
		chunks = append(chunks, api.ChatResponse{Done: true, DoneReason: "stop", Metrics: api.Metrics{PromptEvalCount: 7, EvalCount: len(chunks)}})
		enc := json.NewEncoder(w)
		for _, c := range chunks {
			c.Model, c.Message.Role = req.Model, "assistant"
			enc.Encode(c)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(s.Close)
	u, _ := url.Parse(s.URL)
	return u
}

// TestProxyToolCalls: a request with tools takes the runner's chat path;
// after the cut the model's tool call reaches the client, in Ollama's
// format and in OpenAI's.
func TestProxyToolCalls(t *testing.T) {
	ps := newTestProxy(t, Config{Upstream: fakeChatModel(t)})
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`
	msgs := `"messages":[{"role":"user","content":"Weather in Paris?"}]`

	resp, err := http.Post(ps.URL+"/api/chat", "application/json", strings.NewReader(`{"model":"m",`+tools+`,`+msgs+`,"options":{"rein_max_steps":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var thinking strings.Builder
	var calls []api.ToolCall
	var final struct {
		api.ChatResponse
		Rein RunInfo `json:"rein"`
	}
	for _, l := range lines {
		var c api.ChatResponse
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		thinking.WriteString(c.Message.Thinking)
		calls = append(calls, c.Message.ToolCalls...)
		json.Unmarshal([]byte(l), &final)
	}
	if thinking.String() != "Step one.\n\n" || len(calls) != 1 || calls[0].Function.Name != "get_weather" {
		t.Errorf("thinking %q, tool calls %+v", thinking.String(), calls)
	}
	if city, _ := calls[0].Function.Arguments.Get("city"); city != "Paris" {
		t.Errorf("arguments %v", calls[0].Function.Arguments)
	}
	if !final.Done || final.Rein.Path != "chat" || final.Rein.CutReason != "steps" || final.Rein.Steps != 1 {
		t.Errorf("final chunk %+v", final)
	}

	resp, err = http.Post(ps.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"m","stream":true,`+tools+`,`+msgs+`,"options":{"rein_max_steps":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	if !strings.Contains(body, `"tool_calls":[{"id":"call_1","index":0,"type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]`) ||
		!strings.Contains(body, `"finish_reason":"tool_calls"`) || !strings.HasSuffix(body, "data: [DONE]\n\n") {
		t.Errorf("OpenAI stream:\n%s", body)
	}
}

// TestPassThroughDisconnectMakesSuspect: a client that leaves a stream the
// proxy passes through (here think:false) cancels the upstream request,
// which can wedge Ollama 0.17.x's runner, so the model becomes a suspect
// for the runner's guard.
func TestPassThroughDisconnectMakesSuspect(t *testing.T) {
	// Suspects are process-wide: a fresh name for each run of the test.
	model := fmt.Sprintf("passthru-%d", time.Now().UnixNano())
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		for i := 0; ; i++ {
			if _, err := fmt.Fprintf(w, `{"model":%q,"message":{"role":"assistant","content":"x%d"},"done":false}`+"\n", model, i); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}))
	defer up.Close()
	upURL, _ := url.Parse(up.URL)
	px, err := New(Config{Upstream: upURL, Logf: func(string, ...any) {}})
	if err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(px)
	t.Cleanup(ps.Close)
	guard := runner.GuardOf(px.runs)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // before up.Close, which waits for the connection
	req, _ := http.NewRequestWithContext(ctx, "POST", ps.URL+"/api/chat",
		strings.NewReader(`{"model":"`+model+`","think":false,"messages":[{"role":"user","content":"hi"}]}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	if _, ok := guard.Suspects()[model]; ok {
		t.Fatal("a suspect before the client left")
	}
	cancel()
	resp.Body.Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, ok := guard.Suspects()[model]; ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the model did not become a suspect after the client left")
		}
	}
}
