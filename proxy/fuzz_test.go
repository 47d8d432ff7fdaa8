package proxy

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// notFoundUpstream answers every request as a server without the model
// would, at once and without a network.
type notFoundUpstream struct{ calls atomic.Int64 }

func (u *notFoundUpstream) RoundTrip(r *http.Request) (*http.Response, error) {
	u.calls.Add(1)
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	body := `{"error":"model not found"}`
	status := http.StatusNotFound
	if r.URL.Path == "/api/version" {
		body, status = `{"version":"0.17.4"}`, http.StatusOK
	}
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
}

var fuzzPaths = []string{"/api/chat", "/api/generate", "/v1/chat/completions"}

// FuzzProxyRequest: whatever body a client posts to the three intercepted
// endpoints, the proxy never panics, and what it refuses is a 4xx with a
// one-line JSON error.
func FuzzProxyRequest(f *testing.F) {
	f.Add(uint8(0), []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}],"options":{"rein_max_steps":2}}`))
	f.Add(uint8(0), []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}],"think":"high","options":{"num_predict":1e300}}`))
	f.Add(uint8(1), []byte(`{"model":"m","prompt":"hi","options":{"rein_max_think_time":"1.5s","rein_step_split":"line","num_predict":-1}}`))
	f.Add(uint8(1), []byte(`{"model":"m","prompt":"hi","images":["aGk="],"think":false}`))
	f.Add(uint8(2), []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"options":{"rein_loop":"0"}}`))
	f.Add(uint8(2), []byte(`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"max_tokens":1e20}`))
	f.Add(uint8(0), []byte(`{"options":null}`))
	f.Add(uint8(1), []byte(`{"options":[1]}`))
	f.Add(uint8(2), []byte(`[]`))
	up := &notFoundUpstream{}
	var panics atomic.Int64
	p, err := New(Config{
		Upstream: &url.URL{Scheme: "http", Host: "127.0.0.1:1"}, Transport: up, CacheTTL: -1,
		Logf: func(format string, args ...any) {
			if strings.Contains(format, "panic") {
				panics.Add(1)
			}
		},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path uint8, body []byte) {
		target := fuzzPaths[int(path)%len(fuzzPaths)]
		r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		r.Host = "127.0.0.1:11435"
		w := httptest.NewRecorder()
		before := panics.Load()
		p.ServeHTTP(w, r)
		if panics.Load() != before || w.Code == http.StatusInternalServerError && strings.Contains(w.Body.String(), "internal error") {
			t.Fatalf("%s %q: panic: %d %s", target, body, w.Code, w.Body)
		}
		if w.Code >= 400 && w.Code < 500 && w.Code != http.StatusNotFound {
			msg := strings.TrimSpace(w.Body.String())
			var v map[string]any
			if err := json.Unmarshal([]byte(msg), &v); err != nil || v["error"] == nil || strings.Contains(msg, "\n") {
				t.Fatalf("%s %q: %d with body %q, want a one-line JSON error", target, body, w.Code, msg)
			}
			if strings.Contains(msg, "max tokens must be") && !bytes.Contains(body, []byte("rein_")) {
				t.Fatalf("%s %q: %s, about a budget the client did not set", target, body, msg)
			}
		}
	})
}
