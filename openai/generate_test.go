package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"

	"github.com/rein-dev/rein/models"
)

// fakeSSEServer is a fake OpenAI-compatible server: /v1/completions answers
// with the events it is given (one write and flush each), /v1/models with
// its models; it keeps the last request.
type fakeSSEServer struct {
	*httptest.Server
	events []string
	models string
	status int // non-zero: /v1/completions answers with it and body
	body   string
	// forever makes the stream go on until the client leaves; gone is
	// closed then.
	forever bool
	gone    chan struct{}

	mu   sync.Mutex
	req  map[string]any
	auth string
}

func newFakeSSEServer(t *testing.T) *fakeSSEServer {
	f := &fakeSSEServer{gone: make(chan struct{}), models: `{"object":"list","data":[{"id":"m","object":"model","max_model_len":4096}]}`}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSSEServer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.auth = r.Header.Get("Authorization")
	f.mu.Unlock()
	switch r.URL.Path {
	case "/v1/models":
		w.Write([]byte(f.models))
		return
	case "/v1/completions":
	default:
		http.NotFound(w, r)
		return
	}
	var body map[string]any
	json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	f.req = body
	f.mu.Unlock()
	if f.status != 0 {
		w.WriteHeader(f.status)
		w.Write([]byte(f.body))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	for _, e := range f.events {
		fmt.Fprintf(w, "data: %s\n\n", e)
		fl.Flush()
	}
	if f.forever {
		defer close(f.gone)
		for i := 0; ; i++ {
			if _, err := fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"text\":\"t%d \"}]}\n\n", i); err != nil {
				return
			}
			fl.Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Millisecond):
			}
		}
	}
}

func (f *fakeSSEServer) lastRequest() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.req
}

func collect(t *testing.T, c *Client, req *api.GenerateRequest) ([]api.GenerateResponse, error) {
	t.Helper()
	var got []api.GenerateResponse
	err := c.Generate(context.Background(), req, func(r api.GenerateResponse) error {
		got = append(got, r)
		return nil
	})
	return got, err
}

func TestGenerateFakeSSE(t *testing.T) {
	f := newFakeSSEServer(t)
	f.events = []string{
		`{"choices":[{"index":0,"text":"<think>","finish_reason":null}],"usage":{"prompt_tokens":0,"completion_tokens":0}}`,
		`{"choices":[{"index":0,"text":"\nHi","logprobs":{"tokens":["\n","Hi"],"token_logprobs":[-0.1,-0.2]},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"text":"","finish_reason":"stop"}]}`,
		`{"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":18}}}`,
		`[DONE]`,
	}
	c, err := New(Options{BaseURL: f.URL, APIKey: "sk-test"})
	if err != nil {
		t.Fatal(err)
	}
	seed := 7
	got, err := collect(t, c, &api.GenerateRequest{Model: "m", Prompt: "P", Raw: true, Logprobs: true,
		Options: map[string]any{"num_predict": 32, "stop": []string{"\n\n"}, "temperature": 0.6, "top_p": float32(0.95), "seed": seed, "top_k": 20, "num_ctx": 8192}})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, r := range got[:len(got)-1] {
		text.WriteString(r.Response)
		if r.Done {
			t.Errorf("a response before the last is done: %+v", r)
		}
	}
	if text.String() != "<think>\nHi" {
		t.Errorf("text %q", text.String())
	}
	if len(got[1].Logprobs) != 2 || got[1].Logprobs[1].Token != "Hi" {
		t.Errorf("logprobs %+v", got[1].Logprobs)
	}
	last := got[len(got)-1]
	if !last.Done || last.DoneReason != "stop" || last.PromptEvalCount != 20 || last.EvalCount != 3 ||
		last.PromptEvalCachedCount == nil || *last.PromptEvalCachedCount != 18 {
		t.Errorf("final %+v", last)
	}
	if last.EvalDuration <= 0 || last.TotalDuration < last.EvalDuration {
		t.Errorf("durations: eval %v, total %v", last.EvalDuration, last.TotalDuration)
	}
	body := f.lastRequest()
	want := map[string]any{"model": "m", "prompt": "P", "stream": true, "stream_options": map[string]any{"include_usage": true},
		"max_tokens": 32.0, "stop": []any{"\n\n"}, "temperature": 0.6, "seed": 7.0, "logprobs": 1.0, "top_k": 20.0}
	for k, v := range want {
		if fmt.Sprint(body[k]) != fmt.Sprint(v) {
			t.Errorf("request %s = %v, want %v", k, body[k], v)
		}
	}
	if tp, _ := body["top_p"].(float64); tp < 0.949 || tp > 0.951 {
		t.Errorf("top_p %v", body["top_p"])
	}
	if _, ok := body["num_ctx"]; ok {
		t.Errorf("num_ctx went to the server: %v", body)
	}
	if f.auth != "Bearer sk-test" {
		t.Errorf("Authorization %q", f.auth)
	}
}

// TestGenerateCallbackStops: an error from the callback closes the stream
// (the server sees the client leave) and comes back.
func TestGenerateCallbackStops(t *testing.T) {
	f := newFakeSSEServer(t)
	f.forever = true
	c, _ := New(Options{BaseURL: f.URL})
	stop := errors.New("cut")
	n := 0
	err := c.Generate(context.Background(), &api.GenerateRequest{Model: "m", Prompt: "P", Raw: true}, func(api.GenerateResponse) error {
		if n++; n == 5 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("error %v, want the callback's", err)
	}
	select {
	case <-f.gone:
	case <-time.After(5 * time.Second):
		t.Fatal("the server still streams 5s after the callback stopped")
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(f *fakeSSEServer)
		req     api.GenerateRequest
		wantErr string
		status  int
	}{
		{"not raw", nil, api.GenerateRequest{Model: "m", Prompt: "P"}, "raw prompts only", 0},
		{"unknown model", func(f *fakeSSEServer) {
			f.status, f.body = 404, `{"object":"error","message":"The model `+"`x`"+` does not exist.","type":"NotFoundError","code":404}`
		}, api.GenerateRequest{Model: "x", Prompt: "P", Raw: true}, "does not exist", 404},
		{"bad key", func(f *fakeSSEServer) { f.status, f.body = 401, `{"error":{"message":"Invalid API key"}}` },
			api.GenerateRequest{Model: "m", Prompt: "P", Raw: true}, "Invalid API key: check the key", 401},
		{"cut short", func(f *fakeSSEServer) { f.events = []string{`{"choices":[{"index":0,"text":"a"}]}`} },
			api.GenerateRequest{Model: "m", Prompt: "P", Raw: true}, "closed the completions stream before its end", 0},
		{"error in the stream", func(f *fakeSSEServer) { f.events = []string{`{"error":{"message":"CUDA out of memory"}}`} },
			api.GenerateRequest{Model: "m", Prompt: "P", Raw: true}, "CUDA out of memory", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSSEServer(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			c, _ := New(Options{BaseURL: f.URL + "/v1/", APIKey: "sk-secret-1234"})
			_, err := collect(t, c, &tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one with %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "sk-secret") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: shows the key or spans lines", err)
			}
			var se api.StatusError
			if tt.status != 0 && (!errors.As(err, &se) || se.StatusCode != tt.status) {
				t.Errorf("error %#v, want a status error %d", err, tt.status)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	c, _ := New(Options{BaseURL: "http://" + addr, APIKey: "sk-secret"})
	_, err = collect(t, c, &api.GenerateRequest{Model: "m", Prompt: "P", Raw: true})
	if err == nil || !strings.Contains(err.Error(), "cannot reach the OpenAI-compatible server at http://"+addr+"/v1: start it, or check --base-url") {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(err.Error(), "sk-secret") {
		t.Errorf("error shows the key: %v", err)
	}
}

func TestShowListVersion(t *testing.T) {
	f := newFakeSSEServer(t)
	f.models = `{"object":"list","data":[{"id":"a","created":1700000000,"max_model_len":32768},{"id":"b","meta":{"n_ctx_train":4096}}]}`
	tmpl, _ := ProfileTemplate("qwen3")
	c, _ := New(Options{BaseURL: f.URL, Template: tmpl, Family: "qwen3"})
	s, err := c.Show(context.Background(), &api.ShowRequest{Model: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Template != tmpl || s.Details.Family != "qwen3" || s.ModelInfo["openai.context_length"] != 32768.0 {
		t.Errorf("show %+v", s)
	}
	if !containsCap(s.Capabilities, model.CapabilityThinking) {
		t.Errorf("capabilities %v: the template thinks", s.Capabilities)
	}
	if p := models.Match("a", s, models.Builtins()); p.Name != "qwen3" {
		t.Errorf("profile %s, want qwen3 by its template", p.Name)
	}
	if _, err := c.Show(context.Background(), &api.ShowRequest{Model: "b:latest"}); err != nil {
		t.Errorf("b:latest is b: %v", err)
	}
	var se api.StatusError
	if _, err := c.Show(context.Background(), &api.ShowRequest{Model: "zz"}); !errors.As(err, &se) || se.StatusCode != 404 || !strings.Contains(err.Error(), "a, b") {
		t.Errorf("unknown model: %v", err)
	}
	l, err := c.List(context.Background())
	if err != nil || len(l.Models) != 2 || l.Models[0].Name != "a" || l.Models[0].ModifiedAt.Unix() != 1700000000 {
		t.Errorf("list %+v, %v", l, err)
	}
	v, _ := c.Version(context.Background())
	if caps := models.CapsFor(v); !caps.Known || !caps.Logprobs || caps.DebugCacheLine || caps.CachedCount {
		t.Errorf("caps for %q: %+v", v, caps)
	}
	noTmpl, _ := New(Options{BaseURL: f.URL})
	if _, err := noTmpl.Show(context.Background(), &api.ShowRequest{Model: "a"}); err == nil || !strings.Contains(err.Error(), "--profile NAME") {
		t.Errorf("show without a template: %v", err)
	}
	if err := c.Chat(context.Background(), &api.ChatRequest{Model: "a"}, nil); err == nil || !strings.Contains(err.Error(), "chat path") {
		t.Errorf("chat: %v", err)
	}
}

func containsCap(cs []model.Capability, c model.Capability) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

func TestParseBaseURL(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"http://gpu1:8000", "http://gpu1:8000/v1", ""},
		{"http://gpu1:8000/v1/", "http://gpu1:8000/v1", ""},
		{"gpu1:8080", "http://gpu1:8080/v1", ""},
		{"https://h/api/openai", "https://h/api/openai/v1", ""},
		{"", "", "--base-url"},
		{"ftp://h", "", "want http"},
		{"http://user:pw@h:1", "", "no credentials"},
	}
	for _, tt := range tests {
		u, err := ParseBaseURL(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "pw") {
				t.Errorf("%q: %v, want an error with %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || u.String() != tt.want {
			t.Errorf("%q: %v, %v; want %s", tt.in, u, err, tt.want)
		}
	}
}

func TestProfileTemplate(t *testing.T) {
	for _, n := range ProfileNames() {
		tmpl, err := ProfileTemplate(n)
		if err != nil || tmpl == "" {
			t.Errorf("%s: %v", n, err)
		}
		if p := models.Match("x", &api.ShowResponse{Template: tmpl}, models.Builtins()); p.Name != n {
			t.Errorf("%s: the template matches profile %s", n, p.Name)
		}
	}
	if _, err := ProfileTemplate("gpt-oss"); err == nil || !strings.Contains(err.Error(), "chat path") {
		t.Errorf("gpt-oss: %v", err)
	}
	if _, err := ProfileTemplate("llama9"); err == nil || !strings.Contains(err.Error(), "--template FILE") {
		t.Errorf("unknown: %v", err)
	}
}
