package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/proxy"
	"github.com/rein-dev/rein/runner"
)

// figuresRun runs `rein run ARGS --json` and decodes the record.
func figuresRun(t *testing.T, s *ollamatest.Server, args ...string) (*runner.Record, string) {
	t.Helper()
	out, errOut, code := reinRun(t, context.Background(), s, nil, append(args, "--json", "--no-log")...)
	if code != 0 {
		t.Fatalf("rein run %v: exit %d: %s", args, code, errOut)
	}
	var rec runner.Record
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("stdout is not a record: %v\n%s", err, out)
	}
	return &rec, errOut
}

// direct sends the request a user would send Ollama for this run: the
// prompt, thinking on, the context size rein chose (so that the model is
// not loaded again), and returns the final chunk's figures and the time to
// the first chunk.
func direct(t *testing.T, s *ollamatest.Server, model, prompt string, numCtx int) (api.Metrics, time.Duration) {
	t.Helper()
	var m api.Metrics
	var first time.Duration
	start := time.Now()
	err := s.Client.Generate(context.Background(), &api.GenerateRequest{Model: model, Prompt: prompt, Think: &api.ThinkValue{Value: true}, Options: map[string]any{"num_ctx": numCtx}}, func(r api.GenerateResponse) error {
		if first == 0 && (r.Thinking != "" || r.Response != "") {
			first = time.Since(start)
		}
		if r.Done {
			m = r.Metrics
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, first
}

// checkSums checks what every run's figures must satisfy.
func checkSums(t *testing.T, rec *runner.Record) {
	t.Helper()
	m := rec.Metrics
	if got := m.ThinkingTokens + m.AnswerTokens + m.WastedTokens + m.OtherTokens + m.ProbeTokens; got != m.EvalCount {
		t.Errorf("eval count %d, but thinking %d + answer %d + wasted %d + other %d = %d (passes %+v)",
			m.EvalCount, m.ThinkingTokens, m.AnswerTokens, m.WastedTokens, m.OtherTokens, got, rec.Passes)
	}
	// The tags, the end of sequence and a stripped stop per pass at most.
	if m.OtherTokens > len(rec.Passes)+3 {
		t.Errorf("%d other tokens over %d passes", m.OtherTokens, len(rec.Passes))
	}
	if m.WallMS < m.LoadMS+m.PromptMS+m.EvalMS {
		t.Errorf("total %vms < load %v + prompt eval %v + eval %v", m.WallMS, m.LoadMS, m.PromptMS, m.EvalMS)
	}
	if m.EvalCount > 0 && (m.EvalTPS <= 0 || m.EvalMS <= 0) {
		t.Errorf("eval rate %v for %d tokens in %vms", m.EvalTPS, m.EvalCount, m.EvalMS)
	}
	if m.TTFTMS < m.ClockMS || (m.AnswerTokens > 0 && m.TTFAMS < m.TTFTMS) {
		t.Errorf("ttft %v ttfa %v before the run's clock %v", m.TTFTMS, m.TTFAMS, m.ClockMS)
	}
}

// TestFiguresUncutMatchOllama: a run that is not cut reports the counts
// Ollama reports for the same request sent directly, and sends no prefill
// pass.
func TestFiguresUncutMatchOllama(t *testing.T) {
	s := needModels(t)
	const prompt = "What is 17*3?"
	for _, args := range [][]string{{"--loop", "0"}, {}} {
		t.Run(fmt.Sprint(args), func(t *testing.T) {
			rec, _ := figuresRun(t, s, append([]string{"t/closer", prompt}, args...)...)
			if rec.CutReason != "" || rec.Passes[0].Kind != runner.PassFirst {
				t.Fatalf("cut %q, passes %+v", rec.CutReason, rec.Passes)
			}
			m := rec.Metrics
			d, _ := direct(t, s, "t/closer", prompt, rec.Budgets.NumCtx)
			// In segments (the loop detector's stop at each separator), a
			// pass that the server ends at the separator after the
			// thinking closed strips it, and the answer's pass generates
			// it again (segment.go): the server generates one token more
			// than for the request sent directly, an end token of the
			// pass in other_tokens.
			again := 0
			for i := 1; i < len(rec.Passes); i++ {
				if rec.Passes[i].Kind == runner.PassContinue && rec.Passes[i-1].DoneReason == "stop" {
					again++
				}
			}
			if m.PromptTokens != d.PromptEvalCount || m.EvalCount != d.EvalCount+again {
				t.Errorf("prompt eval count %d, eval count %d; Ollama's %d and %d (passes %+v)",
					m.PromptTokens, m.EvalCount, d.PromptEvalCount, d.EvalCount, rec.Passes)
			}
			checkSums(t, rec)
		})
	}
}

// TestFiguresCut: a run cut by steps counts every token the server
// generated, wasted ones included; a hook's cut, which closes the stream,
// counts on rein's clock and says so.
func TestFiguresCut(t *testing.T) {
	s := needModels(t)
	rec, stderr := figuresRun(t, s, "t/runaway", "How many r's are in strawberry?", "--max-steps", "2")
	if rec.CutReason != hooks.ReasonSteps || rec.Metrics.Resumes != 1 || rec.Answer == "" {
		t.Fatalf("cut %q resumes %d answer %q", rec.CutReason, rec.Metrics.Resumes, rec.Answer)
	}
	checkSums(t, rec)
	m := rec.Metrics
	if m.ResumePromptTokens <= m.ResumeEvalTokens || m.ResumeEvalTokens <= 0 {
		t.Errorf("resume evaluated %d of %d prompt tokens", m.ResumeEvalTokens, m.ResumePromptTokens)
	}
	if len(m.ClientMeasured) != 0 {
		t.Errorf("client measured %v: every pass ended on the server's done", m.ClientMeasured)
	}
	// The cut's one line, without --verbose.
	if !strings.Contains(stderr, "rein: cut after 2 steps (max-steps); answering\n") {
		t.Errorf("stderr %q: no cut line", stderr)
	}

	t.Setenv("REIN_TEST_HOOK_CUT_ON", "re-read")
	exe, _ := os.Executable()
	rec, _ = figuresRun(t, s, "t/runaway", "How many?", "--loop", "0", "--hook", exe)
	if rec.CutReason != hooks.ReasonHook || rec.Passes[0].Kind != runner.PassPrefill {
		t.Fatalf("cut %q, passes %+v: an external hook needs the prefill pass", rec.CutReason, rec.Passes)
	}
	if rec.Metrics.LoadMS <= 0 || rec.Metrics.PromptTokens <= 0 {
		t.Errorf("load %v prompt %d: the prefill pass's figures", rec.Metrics.LoadMS, rec.Metrics.PromptTokens)
	}
	checkSums(t, rec)
	for _, p := range rec.Passes {
		if p.Kind == runner.PassFirst && p.ClientMeasured != (len(rec.Metrics.ClientMeasured) > 0) {
			t.Errorf("first pass client measured %v, metrics say %v", p.ClientMeasured, rec.Metrics.ClientMeasured)
		}
	}
}

// TestFiguresCold: on a cold model the first token comes after the load,
// and the times count from the request.
func TestFiguresCold(t *testing.T) {
	s := needModels(t)
	unload(t, s, "t/deepseek")
	rec, _ := figuresRun(t, s, "t/deepseek", "What is 2+2?")
	m := rec.Metrics
	if m.LoadMS <= 0 || m.TTFTMS < m.LoadMS+m.PromptMS || m.WallMS < m.TTFTMS {
		t.Errorf("load %vms prompt %vms ttft %vms total %vms", m.LoadMS, m.PromptMS, m.TTFTMS, m.WallMS)
	}
	checkSums(t, rec)
}

// TestFiguresVerbose: the verbose block has lines for what happened only.
func TestFiguresVerbose(t *testing.T) {
	s := needModels(t)
	_, stderr, code := reinRun(t, context.Background(), s, nil, "t/runaway", "How many r's are in strawberry?",
		"--max-steps", "2", "--on-limit", "stop", "--verbose", "--no-log")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, bad := range []string{"resume:", "time to first answer:", "answer:", "eval rate:       0.00"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("verbose block has %q:\n%s", bad, stderr)
		}
	}
	if rate := regexp.MustCompile(`eval rate:\s+([0-9.]+)`).FindStringSubmatch(stderr); rate == nil || rate[1] == "0.00" {
		t.Errorf("eval rate %v:\n%s", rate, stderr)
	}
	for _, want := range []string{"Thinking...\n", "...done thinking.\n", "rein: cut after 2 steps (max-steps); stopping (on-limit stop)\n"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr has no %q:\n%s", want, stderr)
		}
	}
	if !regexp.MustCompile(`\ncut:\s+steps\n`).MatchString(stderr) {
		t.Errorf("no cut line:\n%s", stderr)
	}

	// An answer cut short says so.
	_, stderr, code = reinRun(t, context.Background(), s, nil, "t/closer", "What is 17*3?", "--max-answer-tokens", "2", "--verbose", "--no-log")
	if code != 0 || !regexp.MustCompile(`\ncut:\s+answer truncated \(max-answer-tokens\)\n`).MatchString(stderr) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// TestProxyMaxTokens: OpenAI's max_tokens and max_completion_tokens cap
// the completion tokens of /v1/chat/completions, which ends with
// finish_reason "length"; the usage is the record's.
func TestProxyMaxTokens(t *testing.T) {
	s := needModels(t)
	rig := startProxy(t, s, proxy.Config{})
	for _, key := range []string{"max_tokens", "max_completion_tokens"} {
		t.Run(key, func(t *testing.T) {
			body := fmt.Sprintf(`{"model":"t/runaway","messages":[{"role":"user","content":"How many r's are in strawberry?"}],%q:8}`, key)
			resp := postJSON(t, rig.URL.String()+"/v1/chat/completions", body)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var c struct {
				Choices []struct {
					FinishReason string `json:"finish_reason"`
				} `json:"choices"`
				Usage struct {
					CompletionTokens int `json:"completion_tokens"`
				} `json:"usage"`
				Rein struct {
					RunID string `json:"run_id"`
				} `json:"rein"`
			}
			if err := json.Unmarshal(b, &c); err != nil || resp.StatusCode != 200 || len(c.Choices) != 1 {
				t.Fatalf("status %d: %s (%v)", resp.StatusCode, b, err)
			}
			if c.Usage.CompletionTokens > 8 || c.Usage.CompletionTokens == 0 || c.Choices[0].FinishReason != "length" {
				t.Errorf("%d completion tokens, finish reason %q: %s", c.Usage.CompletionTokens, c.Choices[0].FinishReason, b)
			}
			rec := rig.record(t, c.Rein.RunID)
			if rec.Metrics.EvalCount != c.Usage.CompletionTokens || rec.Budgets.MaxTokens != 8 {
				t.Errorf("record: eval count %d, max tokens %d", rec.Metrics.EvalCount, rec.Budgets.MaxTokens)
			}
		})
	}
}

// TestFiguresGoldenCases pins the verbose block of an uncut run and of a
// cut one, built from records.
func TestFiguresGoldenCases(t *testing.T) {
	uncut := &runner.Record{
		Ending: runner.Ending{DoneReason: "stop"},
		Passes: []runner.Pass{{Kind: runner.PassFirst}, {Kind: runner.PassSegment}, {Kind: runner.PassContinue}},
		Metrics: runner.Metrics{LoadMS: 283.5, PromptTokens: 19, PromptMS: 116.3, PrefillTPS: 163.37, TTFTMS: 412.9, TTFAMS: 1995.4, ClockMS: 3.1,
			ThinkingTokens: 21, ThinkingMS: 1770.9, ThinkingTPS: 11.86, AnswerTokens: 6, AnswerMS: 333.2, AnswerTPS: 18.01,
			EvalCount: 30, EvalMS: 2120, EvalTPS: 14.15, OtherTokens: 3, WallMS: 2533.4, Steps: 3},
		Languages: hooks.Languages{Prompt: "en", Thinking: "en", Answer: "en"}, LanguageConsistent: true,
	}
	cut := &runner.Record{
		Ending: runner.Ending{CutReason: hooks.ReasonSteps, DoneReason: "stop"},
		Passes: []runner.Pass{{Kind: runner.PassFirst}, {Kind: runner.PassSegment}, {Kind: runner.PassResume}},
		Metrics: runner.Metrics{LoadMS: 1.4, PromptTokens: 19, PromptMS: 4.4, PrefillTPS: 4318.18, TTFTMS: 9.8, TTFAMS: 1866.2, ClockMS: 2.9,
			ThinkingTokens: 17, ThinkingMS: 1164.9, ThinkingTPS: 14.59, AnswerTokens: 4, AnswerMS: 406.3, AnswerTPS: 9.85,
			EvalCount: 25, EvalMS: 1599, EvalTPS: 15.63, OtherTokens: 2, WallMS: 2281.7, Steps: 2,
			ResumeCost: runner.ResumeCost{Resumes: 1, ResumePromptTokens: 156, ResumeEvalTokens: 112, ResumeEvalSource: runner.SourceServer, ResumePromptMS: 59}, WastedTokens: 2},
		Languages: hooks.Languages{Prompt: "en", Thinking: "en", Answer: "en"}, LanguageConsistent: true,
	}
	for name, rec := range map[string]*runner.Record{"figures_uncut.golden": uncut, "figures_cut.golden": cut} {
		var out bytes.Buffer
		term.PrintFigures(&out, rec)
		checkGolden(t, name, out.String())
	}
}
