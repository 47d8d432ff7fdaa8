package main

// The openai backend against a real server that speaks the protocol:
// Ollama's own /v1/completions. Ollama applies the model's template there,
// so the models these tests drive through it are the scripted ones with
// the template {{ .Prompt }}: the prompt rein renders reaches the model as
// it was sent.

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/models/scripted"
	"github.com/rein-dev/rein/proxy"
)

// rawTemplate makes Ollama's /v1 send the prompt to the model as it is.
const rawTemplate = "{{ .Prompt }}"

// createRaw creates name on s: the scripted model of spec with the
// template {{ .Prompt }}.
func createRaw(t testing.TB, s *ollamatest.Server, name string, spec scripted.Spec) *scripted.Model {
	t.Helper()
	m, err := scripted.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	raw := *m
	raw.Family.Template = rawTemplate
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := scripted.Create(ctx, s.Client, name, &raw, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return m
}

var rawOnce sync.Once

// needRawModels returns the server with the test models and t/runaway-raw.
func needRawModels(t *testing.T) *ollamatest.Server {
	t.Helper()
	s := needModels(t)
	rawOnce.Do(func() { createRaw(t, s, "t/runaway-raw", testModels["t/runaway"]) })
	return s
}

// openaiArgs are the flags that send a run to s's /v1 as an openai server.
func openaiArgs(s *ollamatest.Server) []string {
	return []string{"--backend", "openai", "--base-url", "http://" + s.Host, "--profile", "qwen3"}
}

// TestOpenAIStepCut: a step cut through Ollama's /v1/completions answers
// as through Ollama's API, with the same token counts, and its resume
// evaluates only the budget message and the closing tag: the server's
// cache-slot line says so.
func TestOpenAIStepCut(t *testing.T) {
	s := needRawModels(t)
	prompt := "How many r's are in strawberry?"
	args := append([]string{"t/runaway-raw", prompt, "--max-steps", "3"}, openaiArgs(s)...)
	rec, slots := runCounted(t, s, args...)
	native, _ := runCounted(t, s, "t/runaway", prompt, "--max-steps", "3")

	if str(rec, "cut_reason") != "steps" || num(rec, "steps") != 3 {
		t.Errorf("cut %q after %v steps, want steps after 3", str(rec, "cut_reason"), num(rec, "steps"))
	}
	if got, want := strings.TrimSpace(str(rec, "answer")), strings.TrimSpace(str(native, "answer")); got != want || got != "There are three r's." {
		t.Errorf("answer %q, Ollama's API gives %q", got, want)
	}
	if str(rec, "thinking") != str(native, "thinking") {
		t.Errorf("thinking %q\nOllama's API %q", str(rec, "thinking"), str(native, "thinking"))
	}
	if v := str(rec, "ollama_version"); v != "openai-completions" {
		t.Errorf("version %q", v)
	}
	for _, k := range []string{"eval_count", "thinking_tokens", "answer_tokens", "other_tokens", "wasted_tokens", "prompt_tokens", "resume_prompt_tokens"} {
		if got, want := metric(rec, k), metric(native, k); got != want {
			t.Errorf("%s = %v through /v1, %v through Ollama's API", k, got, want)
		}
	}
	if metric(rec, "eval_count") == 0 || metric(rec, "prompt_tokens") == 0 {
		t.Errorf("no counts from the usage: %v", rec["metrics"])
	}
	if len(slots) < 2 {
		t.Fatalf("server logged %d cache slots for the run", len(slots))
	}
	m := built["t/runaway"]
	msgTokens := len(m.Vocab.Encode(budgetMessage(rec) + "</think>"))
	resume := slots[len(slots)-1]
	t.Logf("resume through /v1: server evaluated %d of %d prompt tokens (message+tag %d); rein says %v (%s)",
		resume.Remaining, resume.Prompt, msgTokens, metric(rec, "resume_eval_tokens"), metricStr(rec, "resume_eval_source"))
	if resume.Remaining > msgTokens+2 || resume.Used == 0 {
		t.Errorf("resume evaluated %d prompt tokens (%d from the cache), want ≤ %d", resume.Remaining, resume.Used, msgTokens+2)
	}
}

func metricStr(rec map[string]any, k string) string {
	m, _ := rec["metrics"].(map[string]any)
	s, _ := m[k].(string)
	return s
}

// TestOpenAIErrors: each mistake is one line that says what to do.
func TestOpenAIErrors(t *testing.T) {
	t.Setenv("REIN_BASE_URL", "")
	t.Setenv("REIN_TEST_NO_KEY", "")
	tests := []struct {
		name string
		args []string
		want string
		code int
	}{
		{"unknown backend", []string{"--backend", "vllm"}, `--backend "vllm": want ollama or openai`, 2},
		{"no base URL", []string{"--backend", "openai", "--profile", "qwen3"}, "pass --base-url http://HOST:PORT or set REIN_BASE_URL", 2},
		{"no template", []string{"--backend", "openai", "--base-url", "http://127.0.0.1:1"}, "pass --profile NAME", 2},
		{"unknown profile", []string{"--backend", "openai", "--base-url", "http://127.0.0.1:1", "--profile", "llama9"}, `unknown profile "llama9"`, 2},
		{"unset key variable", []string{"--backend", "openai", "--base-url", "http://127.0.0.1:1", "--profile", "qwen3", "--api-key-env", "REIN_TEST_NO_KEY"},
			"--api-key-env REIN_TEST_NO_KEY: the variable is not set", 2},
		{"base URL without the backend", []string{"--base-url", "http://127.0.0.1:1"}, "go with --backend openai", 2},
		{"unreachable", []string{"--backend", "openai", "--base-url", "http://127.0.0.1:1", "--profile", "qwen3"},
			"cannot reach the OpenAI-compatible server at http://127.0.0.1:1/v1: start it, or check --base-url", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := reinRun(t, context.Background(), nil, nil, append([]string{"m", "hi", "--no-log"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.want)
			}
			if n := strings.Count(strings.TrimSpace(stderr), "\n"); n > 0 {
				t.Errorf("stderr has %d lines: %q", n+1, stderr)
			}
		})
	}
}

// TestOpenAIBenchMatrix: one bench over an Ollama host and an openai+
// host (a second server's /v1, where the model has the raw template)
// writes the runs of both to one results file, and one report reads it.
func TestOpenAIBenchMatrix(t *testing.T) {
	s := needModels(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s2, err := ollamatest.Start(ctx, ollamatest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Stop()
	createRaw(t, s2, "t/closer", testModels["t/closer"])

	dir := t.TempDir()
	suite := filepath.Join(dir, "suite.yaml")
	if err := os.WriteFile(suite, []byte("name: pair\ncases:\n  - id: mult\n    prompt: \"What is 17*3?\"\n    check: {number: 51}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "r.jsonl")
	openaiHost := "openai+http://" + s2.Host
	stdout, stderr, code := reinBench(t, context.Background(), nil, "--models", "t/closer", "--suite", suite,
		"--budgets", "none,steps=1", "--repeats", "4", "--seed", "5", "--max-tokens", "500", "--num-ctx", "4096",
		"--host", s.Host, "--host", openaiHost, "--profile", "qwen3", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "8 runs: ") {
		t.Errorf("stdout %q", stdout)
	}
	hosts := map[string]int{}
	for _, rec := range rawRecords(t, out) {
		h := str(rec, "host")
		hosts[h]++
		if rawFailed(rec) {
			t.Errorf("%s on %s: error %q", rawKey(rec), h, str(rec, "error"))
		}
		if str(rec, "budget") == "none" && !strings.Contains(str(rec, "answer"), "51") {
			t.Errorf("%s on %s: answer %q", rawKey(rec), h, str(rec, "answer"))
		}
		wantVersion := map[bool]string{true: "openai-completions", false: ""}[strings.HasPrefix(h, "openai+")]
		if v := str(rec, "ollama_version"); wantVersion != "" && v != wantVersion || wantVersion == "" && v == "openai-completions" {
			t.Errorf("%s on %s: version %q", rawKey(rec), h, v)
		}
	}
	wantOpenAI := openaiHost + "/v1"
	if hosts[s.Host] == 0 || hosts[wantOpenAI] == 0 || hosts[s.Host]+hosts[wantOpenAI] != 8 {
		t.Errorf("runs per host %v: want both %s and %s", hosts, s.Host, wantOpenAI)
	}
	ios, _, _ := testStreams("")
	rdir := filepath.Join(dir, "report")
	if err := reportRun(context.Background(), &ReportOptions{IO: ios, Results: []string{out}, Out: rdir}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(rdir, "report.md"))
	if err != nil || !strings.Contains(string(md), "t/closer") {
		t.Errorf("report.md: %v\n%s", err, md)
	}
}

// TestOpenAIProxy: rein proxy with an openai upstream runs the
// intercepted request through /v1/completions, with the request's budgets.
func TestOpenAIProxy(t *testing.T) {
	s := needRawModels(t)
	b := &BackendOptions{Kind: backendOpenAI, BaseURL: "http://" + s.Host + "/v1", Profile: "qwen3"}
	if _, _, err := b.proxyUpstream(nil, "127.0.0.1:11434"); err == nil || !strings.Contains(err.Error(), "--base-url") {
		t.Errorf("--upstream with --backend openai: %v", err)
	}
	up, runs, err := b.proxyUpstream(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if up.String() != "http://"+s.Host {
		t.Errorf("upstream %s, want the server without /v1", up)
	}
	rig := startProxy(t, s, proxy.Config{Backend: runs})
	client := api.NewClient(rig.URL, http.DefaultClient)
	m := built["t/runaway"]
	stream := false
	var resp api.GenerateResponse
	err = client.Generate(context.Background(), &api.GenerateRequest{
		Model: "t/runaway-raw", Prompt: "How many r's are in strawberry?", Stream: &stream,
		Options: map[string]any{"rein_max_steps": 2, "rein_loop": 0},
	}, func(r api.GenerateResponse) error {
		resp = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(resp.Thinking), scriptSteps(m.Thinking(), 2); got != want {
		t.Errorf("thinking %q, want %q", got, want)
	}
	if got, want := resp.Response, strings.TrimSpace(m.Answer()); got != want {
		t.Errorf("response %q, want %q", got, want)
	}
	recs := rig.records()
	if len(recs) != 1 || recs[0].CutReason != "steps" || recs[0].OllamaVersion != "openai-completions" {
		t.Errorf("records %d, first %+v", len(recs), recs)
	}
}

// TestOpenAIBenchErrors: a bench with a bad backend flag, or an openai+
// host that does not answer, stops before any run with one line.
func TestOpenAIBenchErrors(t *testing.T) {
	dir := t.TempDir()
	suite := filepath.Join(dir, "suite.yaml")
	if err := os.WriteFile(suite, []byte("name: one\ncases:\n  - id: a\n    prompt: \"hi\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown backend", []string{"--backend", "sglang"}, `--backend "sglang": want ollama or openai`},
		{"no template", []string{"--host", "openai+http://127.0.0.1:1"}, "--host openai+http://127.0.0.1:1: the openai backend needs the model's chat template"},
		{"unreachable", []string{"--host", "openai+http://127.0.0.1:1", "--profile", "qwen3"}, "cannot reach the OpenAI-compatible server at http://127.0.0.1:1/v1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := reinBench(t, context.Background(), nil, append([]string{"--models", "m", "--suite", suite, "-o", filepath.Join(dir, tt.name+".jsonl")}, tt.args...)...)
			if code == 0 || !strings.Contains(stderr, tt.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("exit %d, stderr %q; want one line with %q", code, stderr, tt.want)
			}
		})
	}
}
