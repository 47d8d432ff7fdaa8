package main

// Proxy tests at the edges: clients that leave, bad requests, paths that
// pass through, and the command itself.

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
	"github.com/rein-dev/rein/proxy"
	"github.com/rein-dev/rein/runner"
)

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
	slotsBefore := len(s.CacheSlots())
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
	// One generation pass, which the client's leaving closed (a run with
	// no budget that can cut sends no prefill pass).
	last := rec.Passes[len(rec.Passes)-1]
	if rec.CutReason != "interrupted" || last.Kind != runner.PassFirst || !last.Cancelled {
		t.Fatalf("record: cut %q passes %+v", rec.CutReason, rec.Passes)
	}
	slots := s.CacheSlots()[slotsBefore:]
	if len(slots) == 0 {
		t.Fatal("the server logged no cache slot for the proxied run")
	}
	prompt, received := slots[len(slots)-1].Prompt, last.Tokens
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
	err = s.Client.Generate(qctx, &api.GenerateRequest{Model: "t/runaway", Prompt: "hi", Stream: &stream, Think: &api.ThinkValue{Value: false}, Options: map[string]any{"num_predict": 1, "num_ctx": rec.Budgets.NumCtx}}, func(api.GenerateResponse) error { return nil })
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
	code := reinProxyOn(ctx, ios, ready, args...)
	return errOut.String(), code
}

// reinProxyOn runs `rein proxy ARGS…` on ios and returns the exit code.
func reinProxyOn(ctx context.Context, ios *IOStreams, ready func(net.Addr), args ...string) int {
	cmd := newProxyCmdWith(&ProxyOptions{IO: ios, Ready: ready})
	cmd.SetArgs(args)
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return exitCode(ctx, ios.ErrOut, cmd.ExecuteContext(ctx))
}

// proxyExit is how a `rein proxy` run in the background ended.
type proxyExit struct {
	stderr string
	code   int
}

// goReinProxy starts `rein proxy ARGS…` on ios in the background and waits
// until it listens; done gets its end (stderr read by stderr).
func goReinProxy(t *testing.T, ctx context.Context, ios *IOStreams, stderr func() string, args ...string) (net.Addr, <-chan proxyExit) {
	t.Helper()
	addrc := make(chan net.Addr, 1)
	done := make(chan proxyExit, 1)
	go func() {
		code := reinProxyOn(ctx, ios, func(a net.Addr) { addrc <- a }, args...)
		done <- proxyExit{stderr(), code}
	}()
	select {
	case addr := <-addrc:
		return addr, done
	case r := <-done:
		t.Fatalf("rein proxy exited %d: %s", r.code, r.stderr)
		return nil, nil
	}
}

// TestProxyCommand: `rein proxy` with budget flags and a run log serves the
// Go client; a non-loopback address needs --allow-remote and warns.
func TestProxyCommand(t *testing.T) {
	s := needModels(t)
	logPath := filepath.Join(t.TempDir(), "runs.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ios, _, errOut := testStreams("")
	addr, done := goReinProxy(t, ctx, ios, errOut.String, "--listen", "127.0.0.1:0", "--upstream", s.Host,
		"--max-steps", "2", "--loop", "0", "--log", logPath, "--verbose")
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
	want, _ := srv.Client.Version(context.Background())
	if v, err := client.Version(context.Background()); err != nil || v != want || v == "" {
		t.Errorf("version %q %v, want the server's %q", v, err, want)
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
