package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/models/scripted"
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
	rig := startProxy(t, s, proxy.Config{Budgets: proxy.Budgets{Loop: 3}})
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
	// Metrics: prompt_eval_count is the first pass's, eval_count and the
	// durations add up the passes (a cancelled pass counts the tokens
	// received and its time on the client).
	var evalCount int
	var evalDur, promptDur time.Duration
	for _, p := range rec.Passes {
		promptDur += time.Duration(p.PromptEvalMS * float64(time.Millisecond))
		if p.Kind == runner.PassPrefill {
			continue
		}
		if p.Cancelled && p.EvalCount == 0 {
			evalCount += p.Tokens
			evalDur += time.Duration(p.WallMS * float64(time.Millisecond))
		} else {
			evalCount += p.EvalCount
			evalDur += time.Duration(p.EvalMS * float64(time.Millisecond))
		}
	}
	if len(rec.Passes) != 3 || rec.Passes[1].Kind != runner.PassFirst || rec.Passes[2].Kind != runner.PassResume {
		t.Fatalf("passes %+v", rec.Passes)
	}
	if final.PromptEvalCount != rec.Passes[0].PromptEvalCount || final.PromptEvalCount < 10 {
		t.Errorf("prompt_eval_count %d, first pass's %d", final.PromptEvalCount, rec.Passes[0].PromptEvalCount)
	}
	if final.EvalCount != evalCount || evalCount < rec.Metrics.ThinkingTokens+rec.Metrics.AnswerTokens {
		t.Errorf("eval_count %d, passes add up to %d; %d thinking + %d answer tokens", final.EvalCount, evalCount, rec.Metrics.ThinkingTokens, rec.Metrics.AnswerTokens)
	}
	if d := final.EvalDuration - evalDur; d < -time.Microsecond || d > time.Microsecond || final.PromptEvalDuration-promptDur > time.Microsecond {
		t.Errorf("eval_duration %v prompt_eval_duration %v, passes add up to %v and %v", final.EvalDuration, final.PromptEvalDuration, evalDur, promptDur)
	}
	if final.TotalDuration < final.EvalDuration || final.EvalDuration <= 0 {
		t.Errorf("total_duration %v, eval_duration %v", final.TotalDuration, final.EvalDuration)
	}
}

// TestProxyGenerateGoClient: /api/generate, not streaming, through the Go
// client: one response with the cut thinking and the script's answer.
func TestProxyGenerateGoClient(t *testing.T) {
	s := needModels(t)
	rig := startProxy(t, s, proxy.Config{Budgets: proxy.Budgets{MaxSteps: 5}})
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

// TestProxyDisconnect: a client that leaves mid-stream stops the upstream
// generation. The signal is the server's own state: the KV cache slot that
// the next request on the model finds (OLLAMA_DEBUG logs "loading cache
// slot … cache=N") holds the prompt and the tokens generated before the
// client left, a few more at most, where the abandoned run had tens of
// thousands of tokens to go. Had the generation gone on, the next request
// (OLLAMA_NUM_PARALLEL=1) would have queued behind it until it ended, and
// found a cache that size.
func TestProxyDisconnect(t *testing.T) {
	s := needModels(t)
	rig := startProxy(t, s, proxy.Config{})
	// Ollama 0.17.4 sometimes loses the runner's slot when a client leaves
	// mid-stream (ollama/ollama#17131; runner/wedge.go): the next request
	// then waits forever. The generation has stopped all the same, but the
	// cache cannot be read, so such an attempt unloads the model and the
	// scenario runs again.
	for attempt := 1; ; attempt++ {
		if !proxyDisconnectOnce(t, s, rig) {
			return
		}
		if attempt == 3 {
			t.Fatal("the server lost its runner slot three times in a row")
		}
		t.Logf("attempt %d: the server lost the runner slot (ollama/ollama#17131); unloading and trying again", attempt)
		unload(t, s, "t/runaway")
	}
}

// proxyDisconnectOnce runs the disconnect scenario and reports whether the
// server lost its runner slot.
func proxyDisconnectOnce(t *testing.T, s *ollamatest.Server, rig *proxyRig) (wedged bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := len(rig.records())
	body := `{"model":"t/runaway","messages":[{"role":"user","content":"How many r's are in strawberry?"}],"options":{"rein_loop":0}}`
	req, _ := http.NewRequestWithContext(ctx, "POST", rig.URL.String()+"/api/chat", strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	for i := 0; i < 20 && sc.Scan(); i++ {
	}
	if sc.Err() != nil || !strings.Contains(sc.Text(), `"thinking"`) {
		t.Fatalf("no thinking streamed: %q %v", sc.Text(), sc.Err())
	}
	cancel() // the client leaves
	resp.Body.Close()

	var rec *runner.Record
	for deadline := time.Now().Add(30 * time.Second); rec == nil; time.Sleep(20 * time.Millisecond) {
		if recs := rig.records(); len(recs) > seen {
			rec = recs[seen]
		} else if time.Now().After(deadline) {
			t.Fatal("the proxy did not end the run after the client left")
		}
	}
	if rec.CutReason != "interrupted" || len(rec.Passes) != 2 || !rec.Passes[1].Cancelled {
		t.Fatalf("record: cut %q passes %+v", rec.CutReason, rec.Passes)
	}
	prompt, received := rec.Passes[0].PromptEvalCount, rec.Passes[1].Tokens
	if left := rec.Budgets.MaxTokens - received; left < 10000 || rec.Budgets.NumCtx < 10000 {
		t.Fatalf("the abandoned run had only %d tokens to go (num_ctx %d)", left, rec.Budgets.NumCtx)
	}

	// The next request on the model, straight to the server, with the same
	// context size so that it finds the same cache slot. Had the abandoned
	// generation gone on, it would wait for its 30k tokens; a scripted
	// model answers this one in milliseconds.
	before := len(cacheSizes(s))
	qctx, qcancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer qcancel()
	stream := false
	err = s.Client.Generate(qctx, &api.GenerateRequest{
		Model: "t/runaway", Prompt: "hi", Stream: &stream, Think: &api.ThinkValue{Value: false},
		Options: map[string]any{"num_predict": 1, "num_ctx": rec.Budgets.NumCtx},
	}, func(api.GenerateResponse) error { return nil })
	sizes := cacheSizes(s)[before:]
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && len(sizes) == 0 {
			// The request waits for the runner's slot: either the lost
			// slot, or a generation that went on. The caller tries again;
			// a proxy that never stopped generations fails every time.
			return true
		}
		t.Fatalf("the next request was not served (the abandoned generation went on?): %v", err)
	}
	if len(sizes) == 0 {
		t.Fatal("the server logged no cache slot for the next request")
	}
	got := sizes[0]
	t.Logf("client saw 20 chunks, the runner %d tokens; the server's cache then held %d tokens (prompt %d)", received, got, prompt)
	if got < prompt+received-2 || got > prompt+received+64 {
		t.Errorf("the cache held %d tokens after the client left, want about %d (prompt %d + %d received)", got, prompt+received, prompt, received)
	}
	return false
}

// unload asks the server to unload a model and waits until it is gone.
func unload(t *testing.T, s *ollamatest.Server, model string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Client.Generate(ctx, &api.GenerateRequest{Model: model, KeepAlive: &api.Duration{}}, func(api.GenerateResponse) error { return nil }); err != nil {
		t.Fatalf("unload %s: %v", model, err)
	}
	for {
		ps, err := s.Client.ListRunning(ctx)
		if err != nil {
			t.Fatalf("unload %s: %v", model, err)
		}
		if !slices.ContainsFunc(ps.Models, func(m api.ProcessModelResponse) bool { return strings.HasPrefix(m.Name, model+":") }) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var cacheSizeRE = regexp.MustCompile(`loading cache slot"? id=\d+ cache=(\d+)`)

// cacheSizes returns the cache= figure of each "loading cache slot" line of
// the server's debug log: the tokens the slot held when a request came.
func cacheSizes(s *ollamatest.Server) []int {
	var out []int
	for _, m := range cacheSizeRE.FindAllStringSubmatch(s.Log(), -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
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

// recordingTransport keeps the bodies of the requests that go upstream.
type recordingTransport struct {
	mu     sync.Mutex
	bodies []string
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		rt.mu.Lock()
		rt.bodies = append(rt.bodies, string(b))
		rt.mu.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	return http.DefaultTransport.RoundTrip(req)
}

// rawHTTP sends raw bytes to addr, closes the writing side and returns the
// status line and body of the answer.
func rawHTTP(t *testing.T, addr, raw string) (string, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to %q: %v", raw[:min(len(raw), 60)], err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.Status, string(b)
}

// TestProxyBadRequests: malformed JSON, unknown or bad rein_* options,
// oversized and truncated bodies, unknown models, foreign hosts and
// origins get Ollama-style {"error": …} answers with the right codes; the
// proxy serves on, and no rein_* option ever goes upstream.
func TestProxyBadRequests(t *testing.T) {
	s := needModels(t)
	up := &recordingTransport{}
	rig := startProxy(t, s, proxy.Config{Transport: up})
	small := startProxy(t, s, proxy.Config{MaxBodyBytes: 1 << 20})
	base := rig.URL.String()
	chat := func(opts string) string {
		return `{"model":"t/closer","messages":[{"role":"user","content":"hi"}],"stream":false,"options":` + opts + `}`
	}
	upstream404 := postJSON(t, s.URL.String()+"/api/chat", `{"model":"no-such-model","messages":[{"role":"user","content":"hi"}]}`)
	var want404 struct{ Error string }
	if err := json.NewDecoder(upstream404.Body).Decode(&want404); err != nil || upstream404.StatusCode != 404 || want404.Error == "" {
		t.Fatalf("the server's own answer: %d %v", upstream404.StatusCode, err)
	}
	upstream404.Body.Close()

	for _, tc := range []struct {
		name, path, body string
		status           int
		want             string
	}{
		{"not JSON", "/api/chat", `not json`, 400, "invalid character"},
		{"cut JSON", "/api/chat", `{"model":"t/closer","messages":[`, 400, "unexpected end of JSON input"},
		{"empty", "/api/chat", ``, 400, "missing request body"},
		{"wrong type", "/api/chat", `{"model":"t/closer","messages":"hi"}`, 400, "cannot unmarshal"},
		{"options not an object", "/api/generate", `{"model":"t/closer","prompt":"hi","options":[1]}`, 400, "options must be an object"},
		{"unknown option", "/api/chat", chat(`{"rein_max_stepz":3}`), 400, "unknown option rein_max_stepz"},
		{"unknown option, generate", "/api/generate", `{"model":"t/closer","prompt":"hi","options":{"rein_nope":1}}`, 400, "unknown option rein_nope"},
		{"unknown option, think off", "/api/chat", `{"model":"t/closer","think":false,"messages":[{"role":"user","content":"hi"}],"options":{"rein_x":1}}`, 400, "unknown option rein_x"},
		{"negative budget", "/api/chat", chat(`{"rein_max_steps":-1}`), 400, "rein_max_steps must be a whole number of 0 or more"},
		{"fraction", "/api/chat", chat(`{"rein_max_think_tokens":2.5}`), 400, "rein_max_think_tokens"},
		{"bad policy", "/api/chat", chat(`{"rein_on_limit":"maybe"}`), 400, `rein_on_limit must be "answer" or "stop"`},
		{"bad duration", "/api/chat", chat(`{"rein_max_think_time":"soon"}`), 400, "rein_max_think_time must be a duration"},
		{"bad step split", "/api/chat", chat(`{"rein_step_split":"words"}`), 400, "rein_step_split"},
		{"answer over cap", "/api/chat", chat(`{"rein_max_answer_tokens":50,"num_predict":20}`), 400, "max answer tokens"},
		{"unknown model", "/api/chat", `{"model":"no-such-model","messages":[{"role":"user","content":"hi"}]}`, 404, want404.Error},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := postJSON(t, base+tc.path, tc.body)
			defer resp.Body.Close()
			var e struct{ Error string }
			b, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(b, &e); err != nil || resp.StatusCode != tc.status || !strings.Contains(e.Error, tc.want) {
				t.Errorf("status %d body %s: want %d and an error with %q", resp.StatusCode, b, tc.status, tc.want)
			}
		})
	}
	t.Run("OpenAI error", func(t *testing.T) {
		resp := postJSON(t, base+"/v1/chat/completions", `{"model":"t/closer","messages":[{"role":"user","content":"hi"}],"options":{"rein_bogus":1}}`)
		defer resp.Body.Close()
		var e struct {
			Error struct{ Message, Type string }
		}
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != 400 ||
			!strings.Contains(e.Error.Message, "unknown option rein_bogus") || e.Error.Type != "invalid_request_error" {
			t.Errorf("status %d error %+v %v", resp.StatusCode, e, err)
		}
	})
	t.Run("oversized", func(t *testing.T) {
		big := `{"model":"t/closer","prompt":"` + strings.Repeat("a", proxy.DefaultMaxBodyBytes) + `"}`
		resp := postJSON(t, base+"/api/generate", big)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 413 || !strings.Contains(string(b), `"error":"request body too large`) {
			t.Errorf("status %d body %.200s", resp.StatusCode, b)
		}
		// Without a length, the limit applies while reading.
		pr, pw := io.Pipe()
		go func() {
			pw.Write([]byte(`{"model":"t/closer","prompt":"`))
			chunk := bytes.Repeat([]byte("a"), 64<<10)
			for i := 0; i < 40; i++ {
				if _, err := pw.Write(chunk); err != nil {
					return
				}
			}
			pw.Write([]byte(`"}`))
			pw.Close()
		}()
		resp, err := http.Post(small.URL.String()+"/api/chat", "application/json", pr)
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		pr.Close()
		if resp.StatusCode != 413 || !strings.Contains(string(b), "too large") {
			t.Errorf("chunked: status %d body %.200s", resp.StatusCode, b)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		status, body := rawHTTP(t, rig.URL.Host, "POST /api/chat HTTP/1.1\r\nHost: "+rig.URL.Host+
			"\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"+`{"model":"t/closer","messages":[{"ro`)
		if !strings.HasPrefix(status, "400") || !strings.Contains(body, `"error":"truncated request body`) {
			t.Errorf("status %q body %q", status, body)
		}
	})
	t.Run("absolute URI", func(t *testing.T) {
		status, body := rawHTTP(t, rig.URL.Host, "GET http://example.com/api/tags HTTP/1.1\r\nHost: example.com\r\n\r\n")
		if !strings.HasPrefix(status, "400") || !strings.Contains(body, `"error"`) {
			t.Errorf("status %q body %q", status, body)
		}
	})
	t.Run("foreign host", func(t *testing.T) {
		status, body := rawHTTP(t, rig.URL.Host, "GET /api/tags HTTP/1.1\r\nHost: attacker.example\r\n\r\n")
		if !strings.HasPrefix(status, "403") || !strings.Contains(body, `"error"`) {
			t.Errorf("status %q body %q", status, body)
		}
		status, _ = rawHTTP(t, rig.URL.Host, "GET /api/version HTTP/1.1\r\nHost: localhost:11435\r\n\r\n")
		if !strings.HasPrefix(status, "200") {
			t.Errorf("localhost: status %q", status)
		}
	})
	t.Run("foreign origin", func(t *testing.T) {
		req, _ := http.NewRequest("POST", base+"/api/chat", strings.NewReader(chat(`{}`)))
		req.Header.Set("Origin", "https://attacker.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("status %d, want 403", resp.StatusCode)
		}
	})

	// The proxy serves on, and the rein_* options stayed home.
	resp := postJSON(t, base+"/api/chat", `{"model":"t/closer","stream":false,"messages":[{"role":"user","content":"hi"}],"options":{"rein_max_steps":1}}`)
	var out struct {
		Message api.Message
		Rein    map[string]any
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || out.Message.Content != strings.TrimSpace(built["t/closer"].Answer()) {
		t.Fatalf("after the bad requests: status %d %+v %v", resp.StatusCode, out, err)
	}
	resp.Body.Close()
	resp = postJSON(t, base+"/api/chat", `{"model":"t/closer","stream":false,"think":false,"messages":[{"role":"user","content":"hi"}],"options":{"rein_max_steps":1,"temperature":0}}`)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("think:false pass-through: status %d", resp.StatusCode)
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	var passed bool
	for _, b := range up.bodies {
		if strings.Contains(b, "rein_") {
			t.Errorf("an upstream request carried a rein option: %.300s", b)
		}
		passed = passed || strings.Contains(b, `"temperature":0`) && strings.Contains(b, `"think":false`)
	}
	if len(up.bodies) < 3 || !passed {
		t.Errorf("%d upstream bodies; the pass-through with its options among them: %v", len(up.bodies), passed)
	}
}

// TestProxyPassThrough: every other path reaches the server untouched, and
// so do requests the budgets do not apply to, streams included.
func TestProxyPassThrough(t *testing.T) {
	s := needModels(t)
	rig := startProxy(t, s, proxy.Config{})
	get := func(base, path, body string) (int, string) {
		method := "GET"
		if body != "" {
			method = "POST"
		}
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct{ path, body string }{
		{"/api/tags", ""},
		{"/api/version", ""},
		{"/api/show", `{"model":"t/closer"}`},
		{"/api/nothing-here", ""},
		{"/v1/models", ""},
	} {
		ds, db := get(s.URL.String(), c.path, c.body)
		ps, pb := get(rig.URL.String(), c.path, c.body)
		if ds != ps || sortedLines(db) != sortedLines(pb) {
			t.Errorf("%s: proxy %d %.200q, server %d %.200q", c.path, ps, pb, ds, db)
		}
		if c.path == "/api/tags" && !strings.Contains(pb, "t/runaway") {
			t.Errorf("/api/tags %.200s", pb)
		}
	}

	// Streams pass through line by line: a raw generation, and a chat with
	// thinking off, each as the server gives it (the models are
	// deterministic), with no rein field.
	for _, c := range []struct{ path, body string }{
		{"/api/generate", `{"model":"t/runaway","raw":true,"prompt":"<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n","options":{"num_predict":12}}`},
		{"/api/chat", `{"model":"t/closer","think":false,"messages":[{"role":"user","content":"hi"}],"options":{"num_predict":12}}`},
	} {
		_, direct := get(s.URL.String(), c.path, c.body)
		_, proxied := get(rig.URL.String(), c.path, c.body)
		dt, dc, _ := ndjsonText(t, strings.NewReader(direct))
		pt, pc, final := ndjsonText(t, strings.NewReader(proxied))
		if dt != pt || dc != pc || dt+dc == "" || strings.Count(proxied, "\n") < 5 {
			t.Errorf("%s: proxy %q/%q, server %q/%q (%d lines)", c.path, pt, pc, dt, dc, strings.Count(proxied, "\n"))
		}
		if final == nil || final["rein"] != nil {
			t.Errorf("%s: final chunk %v, want Ollama's own", c.path, final)
		}
	}
	if n := len(rig.records()); n != 0 {
		t.Errorf("%d runs intercepted, want none", n)
	}
}

// sortedLines puts a JSON answer's lists in order (the server lists models
// created in the same instant in any order); other bodies stay as they are.
func sortedLines(body string) string {
	var v map[string]any
	if json.Unmarshal([]byte(body), &v) != nil {
		return body
	}
	for _, k := range []string{"models", "data"} {
		if list, ok := v[k].([]any); ok {
			slices.SortFunc(list, func(a, b any) int {
				ja, _ := json.Marshal(a)
				jb, _ := json.Marshal(b)
				return bytes.Compare(ja, jb)
			})
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// reinProxy runs `rein proxy ARGS…` until ctx ends or it fails, and returns
// stderr and the exit code. ready, when set, gets the address.
func reinProxy(ctx context.Context, ready func(net.Addr), args ...string) (string, int) {
	ios, _, errOut := testStreams("")
	opts := &ProxyOptions{IO: ios, Ready: ready}
	cmd := newProxyCmdWith(opts)
	cmd.SetArgs(args)
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(ctx)
	code := exitCode(ctx, ios.ErrOut, err)
	return errOut.String(), code
}

// TestProxyCommand: `rein proxy` with budget flags and a run log serves the
// Go client; a non-loopback address needs --allow-remote and warns.
func TestProxyCommand(t *testing.T) {
	s := needModels(t)
	logPath := filepath.Join(t.TempDir(), "runs.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan net.Addr, 1)
	type result struct {
		stderr string
		code   int
	}
	done := make(chan result, 1)
	go func() {
		stderr, code := reinProxy(ctx, func(a net.Addr) { addrc <- a }, "--listen", "127.0.0.1:0", "--upstream", s.Host,
			"--max-steps", "2", "--loop", "0", "--log", logPath, "--verbose")
		done <- result{stderr, code}
	}()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case r := <-done:
		t.Fatalf("rein proxy exited %d: %s", r.code, r.stderr)
	}
	client := api.NewClient(&url.URL{Scheme: "http", Host: addr.String()}, http.DefaultClient)
	var thinking, content strings.Builder
	err := client.Chat(context.Background(), &api.ChatRequest{
		Model: "t/runaway", Messages: []api.Message{{Role: "user", Content: "How many r's are in strawberry?"}},
	}, func(r api.ChatResponse) error {
		thinking.WriteString(r.Message.Thinking)
		content.WriteString(r.Message.Content)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m := built["t/runaway"]
	if strings.TrimSpace(thinking.String()) != scriptSteps(m.Thinking(), 2) || content.String() != strings.TrimSpace(m.Answer()) {
		t.Errorf("thinking %q content %q: want --max-steps 2 to hold", thinking.String(), content.String())
	}
	// Pass-through works through the command's server too.
	if v, err := client.Version(context.Background()); err != nil || v != "0.17.4" {
		t.Errorf("version %q %v", v, err)
	}
	cancel()
	r := <-done
	if r.code != exitInterrupt || !strings.Contains(r.stderr, "listening on http://"+addr.String()) || !strings.Contains(r.stderr, "cut steps, 2 step(s)") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	recs := readLog(t, logPath)
	if len(recs) != 1 || str(recs[0], "cut_reason") != "steps" || num(recs[0], "steps") != 2 || str(recs[0], "model") != "t/runaway" {
		t.Errorf("run log %v", recs)
	}
	if fi, err := os.Stat(logPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("run log mode: %v %v", fi, err)
	}

	t.Run("remote", func(t *testing.T) {
		stderr, code := reinProxy(context.Background(), nil, "--listen", "0.0.0.0:0", "--upstream", s.Host)
		if code != exitUsage || !strings.Contains(stderr, "--allow-remote") {
			t.Errorf("without --allow-remote: exit %d, stderr %q", code, stderr)
		}
		ctx, cancel := context.WithCancel(context.Background())
		stderr, code = reinProxy(ctx, func(net.Addr) { cancel() }, "--listen", "0.0.0.0:0", "--upstream", s.Host, "--allow-remote")
		if code != exitInterrupt || !strings.Contains(stderr, "warning: listening on") {
			t.Errorf("with --allow-remote: exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"--max-steps", "-1"},
			{"--on-limit", "later"},
			{"--upstream", "ftp://x"},
			{"--max-answer-tokens", "100", "--max-tokens", "50"},
		} {
			stderr, code := reinProxy(context.Background(), nil, append([]string{"--listen", "127.0.0.1:0"}, args...)...)
			if code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
			}
		}
		// The proxy in front of itself.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		hostport := fmt.Sprintf("127.0.0.1:%d", port)
		stderr, code := reinProxy(context.Background(), nil, "--listen", hostport, "--upstream", hostport)
		if code != exitUsage || !strings.Contains(stderr, "is the proxy itself") {
			t.Errorf("self upstream: exit %d, stderr %q", code, stderr)
		}
	})
}

// streamStats times one streaming chat: when the first thinking chunk came
// (after the request went out), and how fast the thinking chunks came.
type streamStats struct {
	ttft   time.Duration
	tokens int           // thinking chunks
	span   time.Duration // from the first thinking chunk to the last
	// The server's own figures from the final chunk.
	evalCount int
	evalDur   time.Duration
}

func timeChat(tb testing.TB, base, body string) streamStats {
	tb.Helper()
	start := time.Now()
	resp := postJSON(tb, base+"/api/chat", body)
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		tb.Fatalf("%s: %d %s", base, resp.StatusCode, b)
	}
	var st streamStats
	var first, last time.Time
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var c api.ChatResponse
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			tb.Fatal(err)
		}
		if c.Done {
			st.evalCount, st.evalDur = c.EvalCount, c.EvalDuration
		}
		if c.Message.Thinking == "" {
			continue
		}
		now := time.Now()
		if st.tokens == 0 {
			first = now
		}
		last = now
		st.tokens++
	}
	st.ttft, st.span = first.Sub(start), last.Sub(first)
	return st
}

var benchModelOnce sync.Once

// BenchmarkProxy compares what a streaming client sees through the proxy
// with what it sees straight from Ollama, in the same run, alternating: the
// thinking tokens per second, as a ratio, and the time to the first token.
// The model is scripted with the per-token cost of a real 0.6B 4-bit model
// (scripted.Presets["0.6b"], a ~260 MB GGUF written to a temporary folder).
//
//	go test -run '^$' -bench Proxy -benchtime 5x ./cmd/rein/
func BenchmarkProxy(b *testing.B) {
	s := ollamatest.Need(b, srv)
	const model = "bench/proxy-0.6b"
	benchModelOnce.Do(func() {
		m, err := scripted.Build(scripted.Spec{Family: "qwen3", Size: scripted.Presets["0.6b"], Script: scripted.Script{
			Thinking: "\nThe user asks how many r's appear in strawberry.\n\nLet me count each letter one by one.\n\nWait, I should re-read what was asked.\n\n",
			Loop:     true, Answer: "\n\nThere are three r's.",
		}})
		if err != nil {
			b.Fatal(err)
		}
		dir, err := os.MkdirTemp("", "rein-bench-*")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := scripted.Create(ctx, s.Client, model, m, dir); err != nil {
			b.Fatal(err)
		}
	})
	rig := startProxy(b, s, proxy.Config{})
	const tokens = 200
	direct := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"How many r's are in strawberry?"}],"options":{"num_predict":%d,"num_ctx":4096}}`, model, tokens)
	proxied := strings.Replace(direct, `"num_ctx":4096`, `"num_ctx":4096,"rein_loop":0`, 1)
	// Warm up: load the model, fill the cache.
	timeChat(b, s.URL.String(), direct)
	timeChat(b, rig.URL.String(), proxied)

	var d, p streamStats
	var added []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var sd, sp streamStats
		if i%2 == 0 {
			sd, sp = timeChat(b, s.URL.String(), direct), timeChat(b, rig.URL.String(), proxied)
		} else {
			sp, sd = timeChat(b, rig.URL.String(), proxied), timeChat(b, s.URL.String(), direct)
		}
		if sd.tokens < tokens/2 || sp.tokens < tokens/2 {
			b.Fatalf("thinking chunks: direct %d, proxy %d", sd.tokens, sp.tokens)
		}
		d.tokens, d.span = d.tokens+sd.tokens-1, d.span+sd.span
		p.tokens, p.span = p.tokens+sp.tokens-1, p.span+sp.span
		d.evalCount, d.evalDur = d.evalCount+sd.evalCount, d.evalDur+sd.evalDur
		p.evalCount, p.evalDur = p.evalCount+sp.evalCount, p.evalDur+sp.evalDur
		added = append(added, sp.ttft-sd.ttft)
		d.ttft, p.ttft = d.ttft+sd.ttft, p.ttft+sp.ttft
	}
	b.StopTimer()
	dtps := float64(d.tokens) / d.span.Seconds()
	ptps := float64(p.tokens) / p.span.Seconds()
	slices.Sort(added)
	b.ReportMetric(dtps, "direct-tok/s")
	b.ReportMetric(ptps, "proxy-tok/s")
	b.ReportMetric(ptps/dtps, "proxy/direct")
	// The server's own rate for each (Ollama's eval_count/eval_duration;
	// the proxy's final chunk adds up its passes): a difference here is
	// the server's, not the forwarding's.
	dserver := float64(d.evalCount) / d.evalDur.Seconds()
	pserver := float64(p.evalCount) / p.evalDur.Seconds()
	b.ReportMetric(dserver, "direct-server-tok/s")
	b.ReportMetric(pserver, "proxy-server-tok/s")
	b.ReportMetric(float64(d.ttft.Microseconds())/1000/float64(b.N), "direct-ttft-ms")
	b.ReportMetric(float64(p.ttft.Microseconds())/1000/float64(b.N), "proxy-ttft-ms")
	b.ReportMetric(float64(added[len(added)/2].Microseconds())/1000, "added-ttft-ms(median)")
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
		{"profile", proxy.Budgets{Loop: 3}, `{}`, 2},
		{"request option wins", proxy.Budgets{Loop: 3}, `{"rein_max_steps": 1}`, 1},
		{"proxy flag wins", proxy.Budgets{Loop: 3, MaxSteps: 3}, `{}`, 3},
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
			if rein["cut_reason"] != "steps" || rein["steps"] != float64(tt.steps) || !strings.Contains(content, "three r's") {
				t.Errorf("rein %v content %q, want a steps cut after %d steps and the answer", rein, content, tt.steps)
			}
		})
	}
}
