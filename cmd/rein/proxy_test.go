package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/proxy"
	"github.com/rein-dev/rein/runner"
)

// proxyRig is a proxy in front of the test server, with the records of the
// runs it intercepted.
type proxyRig struct {
	URL  *url.URL
	s    *ollamatest.Server
	mu   sync.Mutex
	recs []*runner.Record
}

// startProxy serves a proxy for s on a free loopback port.
func startProxy(t testing.TB, s *ollamatest.Server, cfg proxy.Config) *proxyRig {
	t.Helper()
	rig := &proxyRig{s: s}
	cfg.Upstream = s.URL
	cfg.OnRecord = func(rec *runner.Record) {
		rig.mu.Lock()
		defer rig.mu.Unlock()
		rig.recs = append(rig.recs, rec)
	}
	p, err := proxy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(p)
	t.Cleanup(hs.Close)
	rig.URL, _ = url.Parse(hs.URL)
	return rig
}

func (rig *proxyRig) records() []*runner.Record {
	rig.mu.Lock()
	defer rig.mu.Unlock()
	return slices.Clone(rig.recs)
}

// record returns the record of the run with this id.
func (rig *proxyRig) record(t *testing.T, id string) *runner.Record {
	t.Helper()
	for _, r := range rig.records() {
		if r.RunID == id {
			return r
		}
	}
	t.Fatalf("no record for run %q", id)
	return nil
}

// teeTransport keeps a copy of every response body it carries.
type teeTransport struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (tt *teeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(resp.Body, lockedWriter{&tt.mu, &tt.buf}), resp.Body}
	return resp, nil
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// lastLine decodes the last JSON line of an NDJSON body.
func lastLine(t *testing.T, body []byte) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	return m
}

// scriptSteps is what a looping script thinks in n steps: its text,
// cycled, up to the end of the n-th paragraph.
func scriptSteps(thinking string, n int) string {
	text := strings.Repeat(thinking, n+1)
	end := 0
	for i := 0; i < n; i++ {
		for end < len(text) && text[end] == '\n' {
			end++
		}
		k := strings.Index(text[end:], "\n\n")
		if k < 0 {
			return strings.TrimSpace(text)
		}
		end += k
	}
	return strings.TrimSpace(text[:end])
}

// TestProxyChatGoClient: the official Go client, pointed at the proxy, runs
// the runaway model with rein_max_steps 3: the thinking is cut after three
// steps and the content is the script's answer; the final chunk carries the
// done reason, metrics that add up the passes, and rein's field.
func TestProxyChatGoClient(t *testing.T) {
	s := needModels(t)
	rig := startProxy(t, s, proxy.Config{Budgets: proxy.Budgets{Loop: budget.Ptr(3)}})
	tee := &teeTransport{}
	client := api.NewClient(rig.URL, &http.Client{Transport: tee})
	m := built["t/runaway"]
	var thinking, content strings.Builder
	var final api.ChatResponse
	chunks := 0
	err := client.Chat(context.Background(), &api.ChatRequest{
		Model:    "t/runaway",
		Messages: []api.Message{{Role: "user", Content: "How many r's are in strawberry?"}},
		Options:  map[string]any{"rein_max_steps": 3},
	}, func(r api.ChatResponse) error {
		chunks++
		thinking.WriteString(r.Message.Thinking)
		content.WriteString(r.Message.Content)
		if r.Done {
			final = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(thinking.String()), scriptSteps(m.Thinking(), 3); got != want {
		t.Errorf("thinking %q, want the first three steps %q", got, want)
	}
	if got, want := content.String(), strings.TrimSpace(m.Answer()); got != want {
		t.Errorf("content %q, want %q", got, want)
	}
	if chunks < 20 {
		t.Errorf("%d chunks: the answer did not stream", chunks)
	}
	if !final.Done || final.DoneReason != "stop" {
		t.Errorf("final chunk done %v reason %q", final.Done, final.DoneReason)
	}

	raw := lastLine(t, tee.buf.Bytes())
	rein, _ := raw["rein"].(map[string]any)
	if rein == nil || rein["cut_reason"] != "steps" || rein["steps"] != 3.0 || rein["path"] != "raw" {
		t.Fatalf("final chunk's rein field %v", raw["rein"])
	}
	rec := rig.record(t, rein["run_id"].(string))
	if n, _ := rein["resume_eval_tokens"].(float64); n <= 0 || int(n) != rec.Metrics.ResumeEvalTokens {
		t.Errorf("rein.resume_eval_tokens %v, record %d", rein["resume_eval_tokens"], rec.Metrics.ResumeEvalTokens)
	}
	// Metrics: the record's, the same sums as rein run --verbose shows:
	// prompt_eval_count is the first request's, eval_count every token the
	// server generated, thinking, answer, wasted and tags and ends.
	mm := rec.Metrics
	if want := rec.OllamaMetrics(); final.Metrics.EvalCount != want.EvalCount || final.PromptEvalCount != want.PromptEvalCount ||
		final.EvalDuration != want.EvalDuration || final.PromptEvalDuration != want.PromptEvalDuration ||
		final.LoadDuration != want.LoadDuration || final.TotalDuration != want.TotalDuration {
		t.Errorf("final chunk's metrics %+v, the record's %+v", final.Metrics, want)
	}
	if final.PromptEvalCount != rec.Passes[0].PromptEvalCount || final.PromptEvalCount < 10 {
		t.Errorf("prompt_eval_count %d, first pass's %d", final.PromptEvalCount, rec.Passes[0].PromptEvalCount)
	}
	if got := mm.ThinkingTokens + mm.AnswerTokens + mm.WastedTokens + mm.OtherTokens + mm.ProbeTokens; final.EvalCount != got {
		t.Errorf("eval_count %d; %d thinking + %d answer + %d wasted + %d other = %d", final.EvalCount, mm.ThinkingTokens, mm.AnswerTokens, mm.WastedTokens, mm.OtherTokens, got)
	}
	if final.TotalDuration < final.LoadDuration+final.PromptEvalDuration+final.EvalDuration || final.EvalDuration <= 0 {
		t.Errorf("total_duration %v < load %v + prompt eval %v + eval %v", final.TotalDuration, final.LoadDuration, final.PromptEvalDuration, final.EvalDuration)
	}
}

// TestProxyGenerateGoClient: /api/generate, not streaming, through the Go
// client: one response with the cut thinking and the script's answer.
func TestProxyGenerateGoClient(t *testing.T) {
	s := needModels(t)
	rig := startProxy(t, s, proxy.Config{Budgets: proxy.Budgets{MaxSteps: budget.Ptr(5)}})
	tee := &teeTransport{}
	client := api.NewClient(rig.URL, &http.Client{Transport: tee})
	m := built["t/runaway"]
	stream := false
	calls := 0
	var resp api.GenerateResponse
	err := client.Generate(context.Background(), &api.GenerateRequest{
		Model: "t/runaway", Prompt: "How many r's are in strawberry?", Stream: &stream,
		Options: map[string]any{"rein_max_steps": 2, "rein_loop": 0},
	}, func(r api.GenerateResponse) error {
		calls++
		resp = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || !resp.Done || resp.DoneReason != "stop" {
		t.Fatalf("%d responses, done %v reason %q", calls, resp.Done, resp.DoneReason)
	}
	if got, want := strings.TrimSpace(resp.Thinking), scriptSteps(m.Thinking(), 2); got != want {
		t.Errorf("thinking %q, want %q", got, want)
	}
	if got, want := resp.Response, strings.TrimSpace(m.Answer()); got != want {
		t.Errorf("response %q, want %q", got, want)
	}
	var raw map[string]any
	if err := json.Unmarshal(tee.buf.Bytes(), &raw); err != nil {
		t.Fatalf("body is not one JSON object: %v\n%s", err, tee.buf.Bytes())
	}
	if rein, _ := raw["rein"].(map[string]any); rein["cut_reason"] != "steps" || rein["steps"] != 2.0 {
		t.Errorf("rein field %v", raw["rein"])
	}
	if resp.EvalCount <= 0 || resp.PromptEvalCount <= 0 || resp.EvalDuration <= 0 {
		t.Errorf("metrics %+v", resp.Metrics)
	}
}

// sseEvents reads an event stream's data lines.
func sseEvents(t *testing.T, body io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("not an SSE data line: %q", line)
		}
		out = append(out, data)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func postJSON(t testing.TB, u string, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestProxyOpenAI: a plain HTTP client on /v1/chat/completions gets the
// cut reasoning in `reasoning` and the script's answer in `content`,
// streaming (SSE ending in [DONE]) and not.
func TestProxyOpenAI(t *testing.T) {
	s := needModels(t)
	rig := startProxy(t, s, proxy.Config{})
	m := built["t/runaway"]
	wantThinking, wantAnswer := scriptSteps(m.Thinking(), 2), strings.TrimSpace(m.Answer())
	req := `{"model":"t/runaway","messages":[{"role":"user","content":"How many r's are in strawberry?"}],
		"options":{"rein_max_steps":2},"stream":%v,"stream_options":{"include_usage":true}}`

	t.Run("stream", func(t *testing.T) {
		resp := postJSON(t, rig.URL.String()+"/v1/chat/completions", fmt.Sprintf(req, true))
		defer resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		events := sseEvents(t, resp.Body)
		if len(events) < 3 || events[len(events)-1] != "[DONE]" {
			t.Fatalf("events %q: want chunks and [DONE]", events)
		}
		var reasoning, content strings.Builder
		var finish string
		var rein map[string]any
		var usage map[string]any
		for _, e := range events[:len(events)-1] {
			var c struct {
				Object  string `json:"object"`
				Choices []struct {
					Delta struct {
						Role      string `json:"role"`
						Content   string `json:"content"`
						Reasoning string `json:"reasoning"`
					} `json:"delta"`
					FinishReason *string `json:"finish_reason"`
				} `json:"choices"`
				Usage map[string]any `json:"usage"`
				Rein  map[string]any `json:"rein"`
			}
			if err := json.Unmarshal([]byte(e), &c); err != nil {
				t.Fatalf("event %q: %v", e, err)
			}
			if c.Object != "chat.completion.chunk" {
				t.Errorf("object %q", c.Object)
			}
			for _, ch := range c.Choices {
				reasoning.WriteString(ch.Delta.Reasoning)
				content.WriteString(ch.Delta.Content)
				if ch.FinishReason != nil {
					finish = *ch.FinishReason
				}
			}
			if c.Rein != nil {
				rein = c.Rein
			}
			if c.Usage != nil {
				usage = c.Usage
			}
		}
		if got := strings.TrimSpace(reasoning.String()); got != wantThinking {
			t.Errorf("reasoning %q, want %q", got, wantThinking)
		}
		if content.String() != wantAnswer || finish != "stop" {
			t.Errorf("content %q finish %q, want %q and stop", content.String(), finish, wantAnswer)
		}
		if rein["cut_reason"] != "steps" || rein["steps"] != 2.0 {
			t.Errorf("rein field %v", rein)
		}
		if n, _ := usage["completion_tokens"].(float64); n < 20 {
			t.Errorf("usage %v", usage)
		}
	})
	t.Run("no stream", func(t *testing.T) {
		resp := postJSON(t, rig.URL.String()+"/v1/chat/completions", fmt.Sprintf(req, false))
		defer resp.Body.Close()
		var c struct {
			Object  string `json:"object"`
			Choices []struct {
				Message struct {
					Role      string `json:"role"`
					Content   string `json:"content"`
					Reasoning string `json:"reasoning"`
				} `json:"message"`
				FinishReason string `json:"finish_reason"`
			} `json:"choices"`
			Usage struct {
				PromptTokens, CompletionTokens int
			} `json:"usage"`
			Rein map[string]any `json:"rein"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != 200 {
			t.Fatalf("status %d: %v", resp.StatusCode, err)
		}
		if c.Object != "chat.completion" || len(c.Choices) != 1 {
			t.Fatalf("%+v", c)
		}
		msg := c.Choices[0].Message
		if strings.TrimSpace(msg.Reasoning) != wantThinking || msg.Content != wantAnswer || msg.Role != "assistant" {
			t.Errorf("message %+v, want reasoning %q and content %q", msg, wantThinking, wantAnswer)
		}
		if c.Choices[0].FinishReason != "stop" || c.Rein["cut_reason"] != "steps" {
			t.Errorf("finish %q rein %v", c.Choices[0].FinishReason, c.Rein)
		}
	})
}

// TestProxyChatPath: requests with a format or images go through Ollama's
// chat path, with the chat fallback for the cut; after the cut the format
// still holds.
func TestProxyChatPath(t *testing.T) {
	s := needModels(t)
	rig := startProxy(t, s, proxy.Config{})
	m := built["t/runaway"]
	for _, tc := range []struct {
		name, extra string
		check       func(t *testing.T, content string)
	}{
		{"format", `"format":"json"`, func(t *testing.T, content string) {
			if !json.Valid([]byte(content)) {
				t.Errorf("content %q is not JSON", content)
			}
		}},
		{"images", `"images":["aGVsbG8="]`, func(t *testing.T, content string) {
			if want := strings.TrimSpace(m.Answer()); content != want {
				t.Errorf("content %q, want %q", content, want)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"model":"t/runaway","stream":false,"options":{"rein_max_steps":2},` + tc.extra + `,
				"messages":[{"role":"user","content":"How many r's are in strawberry?"}]}`
			if tc.name == "images" {
				body = `{"model":"t/runaway","stream":false,"options":{"rein_max_steps":2},
				"messages":[{"role":"user","content":"How many r's are in strawberry?",` + tc.extra + `}]}`
			}
			resp := postJSON(t, rig.URL.String()+"/api/chat", body)
			defer resp.Body.Close()
			var out struct {
				Message api.Message    `json:"message"`
				Rein    map[string]any `json:"rein"`
				Done    bool           `json:"done"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
				t.Fatalf("status %d: %v", resp.StatusCode, err)
			}
			if out.Rein["path"] != "chat" || out.Rein["cut_reason"] != "steps" || out.Rein["steps"] != 2.0 || !out.Done {
				t.Errorf("rein %v done %v: want the chat path and a steps cut", out.Rein, out.Done)
			}
			if got := strings.TrimSpace(out.Message.Thinking); got != scriptSteps(m.Thinking(), 2) {
				t.Errorf("thinking %q", got)
			}
			tc.check(t, out.Message.Content)
		})
	}
}

// ndjsonText reads an NDJSON chat stream: its thinking, its content, and
// its final chunk; it fails on a line that is not JSON or holds an error.
func ndjsonText(t *testing.T, body io.Reader) (thinking, content string, final map[string]any) {
	t.Helper()
	var th, ct strings.Builder
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var c struct {
			Message  api.Message `json:"message"`
			Thinking string      `json:"thinking"`
			Response string      `json:"response"`
			Done     bool        `json:"done"`
			Error    string      `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil || c.Error != "" {
			t.Errorf("line %q: %v", sc.Text(), err)
			return
		}
		th.WriteString(c.Message.Thinking + c.Thinking)
		ct.WriteString(c.Message.Content + c.Response)
		if c.Done {
			json.Unmarshal(sc.Bytes(), &final)
		}
	}
	if err := sc.Err(); err != nil {
		t.Error(err)
	}
	return th.String(), ct.String(), final
}

// TestProxyConcurrent: 8 clients stream through the proxy at once, with
// different models and budgets; each gets exactly its own script's text,
// in a bounded time.
func TestProxyConcurrent(t *testing.T) {
	s := needModels(t)
	rig := startProxy(t, s, proxy.Config{})
	type client struct {
		model, opts               string
		wantThinking, wantContent string
		wantSteps                 int
	}
	runaway := built["t/runaway"]
	var clients []client
	for steps := 1; steps <= 5; steps++ {
		clients = append(clients, client{"t/runaway", fmt.Sprintf(`{"rein_max_steps":%d,"rein_loop":0}`, steps),
			scriptSteps(runaway.Thinking(), steps), strings.TrimSpace(runaway.Answer()), steps})
	}
	clients = append(clients, client{"t/runaway", `{"rein_max_steps":2,"rein_on_limit":"stop"}`, scriptSteps(runaway.Thinking(), 2), "", 2})
	for _, name := range []string{"t/russian", "t/chinese"} {
		m := built[name]
		clients = append(clients, client{name, `{}`, strings.TrimSpace(m.Thinking()), strings.TrimSpace(m.Answer()), strings.Count(strings.TrimSpace(m.Thinking()), "\n\n") + 1})
	}
	if len(clients) != 8 {
		t.Fatalf("%d clients", len(clients))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	runIDs := make([]string, len(clients))
	for i, c := range clients {
		wg.Go(func() {
			body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"Question %d?"}],"options":%s}`, c.model, i, c.opts)
			req, _ := http.NewRequestWithContext(ctx, "POST", rig.URL.String()+"/api/chat", strings.NewReader(body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("client %d: %v", i, err)
				return
			}
			defer resp.Body.Close()
			thinking, content, final := ndjsonText(t, resp.Body)
			if got := strings.TrimSpace(thinking); got != c.wantThinking {
				t.Errorf("client %d (%s %s): thinking %q, want %q", i, c.model, c.opts, got, c.wantThinking)
			}
			if content != c.wantContent {
				t.Errorf("client %d (%s %s): content %q, want %q", i, c.model, c.opts, content, c.wantContent)
			}
			rein, _ := final["rein"].(map[string]any)
			if rein["steps"] != float64(c.wantSteps) {
				t.Errorf("client %d: rein %v, want %d steps", i, rein, c.wantSteps)
			}
			runIDs[i], _ = rein["run_id"].(string)
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("8 clients took more than %v", time.Since(start))
	}
	t.Logf("8 concurrent clients served in %v", time.Since(start).Round(time.Millisecond))
	if slices.Sort(runIDs); len(slices.Compact(runIDs)) != 8 || len(rig.records()) != 8 {
		t.Errorf("run ids %v, %d records: want 8 distinct runs", runIDs, len(rig.records()))
	}
}

// TestProxyProfileBudgets: budgets set per model in the profile file hold
// proxied requests that set none; a request's own rein_* option wins, and
// so does a proxy flag.
func TestProxyProfileBudgets(t *testing.T) {
	s := needModels(t)
	ps, err := models.ParseProfiles("profiles.yaml", []byte("profiles:\n  - name: runaway-budget\n    match: {names: [\"t/runaway\"]}\n    think_open: \"<think>\"\n    think_close: \"</think>\"\n    budgets: {max_steps: 2}\n"), models.Builtins())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		budgets proxy.Budgets
		options string
		steps   int
	}{
		{"profile", proxy.Budgets{Loop: budget.Ptr(3)}, `{}`, 2},
		{"request option wins", proxy.Budgets{Loop: budget.Ptr(3)}, `{"rein_max_steps": 1}`, 1},
		{"proxy flag wins", proxy.Budgets{Loop: budget.Ptr(3), MaxSteps: budget.Ptr(3)}, `{}`, 3},
		// The request's 0 ("no step budget") beats the profile's 2: the
		// runaway model thinks on until the loop cut.
		{"a request's zero wins", proxy.Budgets{Loop: budget.Ptr(3)}, `{"rein_max_steps": 0}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rig := startProxy(t, s, proxy.Config{Budgets: tt.budgets, Profiles: ps})
			body := `{"model":"t/runaway","messages":[{"role":"user","content":"How many r's are in strawberry?"}],"options":` + tt.options + `}`
			resp, err := http.Post(rig.URL.String()+"/api/chat", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			_, content, final := ndjsonText(t, resp.Body)
			rein, _ := final["rein"].(map[string]any)
			if tt.steps == 0 {
				if rein["cut_reason"] != "loop" || !strings.Contains(content, "three r's") {
					t.Errorf("rein %v content %q, want the loop cut (no step budget) and the answer", rein, content)
				}
				return
			}
			if rein["cut_reason"] != "steps" || rein["steps"] != float64(tt.steps) || !strings.Contains(content, "three r's") {
				t.Errorf("rein %v content %q, want a steps cut after %d steps and the answer", rein, content, tt.steps)
			}
		})
	}
}
