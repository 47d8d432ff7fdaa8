package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/runner"
)

// reinRun runs `rein run ARGS…` as the command line would, against s, and
// returns stdout, stderr and the exit code. Extra hooks are Go hooks.
func reinRun(t *testing.T, ctx context.Context, s *ollamatest.Server, extra []hooks.Hook, args ...string) (string, string, int) {
	t.Helper()
	ios, out, errOut := testStreams("")
	opts := &RunOptions{IO: ios, Now: time.Now, ExtraHooks: extra, Client: api.ClientFromEnvironment}
	if s != nil {
		opts.Client = clientFor(s)
	}
	cmd := newRunCmdWith(opts)
	cmd.SetArgs(args)
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(ctx)
	code := exitCode(ctx, ios.ErrOut, err)
	return out.String(), errOut.String(), code
}

// runJSON runs with --json and decodes the record.
func runJSON(t *testing.T, s *ollamatest.Server, args ...string) (rec map[string]any, stderr string) {
	t.Helper()
	out, errOut, code := reinRun(t, context.Background(), s, nil, append(args, "--json", "--no-log")...)
	if code != 0 {
		t.Fatalf("rein run %v: exit %d: %s", args, code, errOut)
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	return rec, errOut
}

// budgetMessage is the message a run closed its trace with.
func budgetMessage(rec map[string]any) string {
	b, _ := rec["budgets"].(map[string]any)
	s, _ := b["budget_message"].(string)
	return s
}

func metric(rec map[string]any, k string) float64 {
	m, _ := rec["metrics"].(map[string]any)
	v, _ := m[k].(float64)
	return v
}

func str(rec map[string]any, k string) string  { s, _ := rec[k].(string); return s }
func num(rec map[string]any, k string) float64 { v, _ := rec[k].(float64); return v }

// TestRunRecordKeys pins the JSON object of `rein run --json`.
func TestRunRecordKeys(t *testing.T) {
	s := needModels(t)
	rec, _ := runJSON(t, s, "t/closer", "What is 17*3?")
	for _, k := range []string{"run_id", "model", "prompt", "thinking", "answer", "steps", "cut_reason", "done_reason",
		"loop_repeats", "token_ms", "metrics", "hardware", "model_digest", "ollama_version", "error"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("record has no key %q", k)
		}
	}
	want := []string{"load_ms", "prompt_tokens", "prompt_ms", "prefill_tps", "ttft_ms", "ttfa_ms", "thinking_tokens",
		"thinking_ms", "thinking_tps", "answer_tokens", "answer_ms", "answer_tps", "eval_count", "eval_ms", "eval_tps",
		"clock_ms", "other_tokens", "wall_ms", "steps", "resumes", "resume_prompt_tokens", "resume_prompt_ms",
		"resume_eval_tokens", "wasted_tokens"}
	m, _ := rec["metrics"].(map[string]any)
	for _, k := range want {
		if _, ok := m[k].(float64); !ok {
			t.Errorf("metrics has no number %q", k)
		}
	}
	if len(m) != len(want) {
		t.Errorf("metrics has %d keys, want exactly %d: %v", len(m), len(want), m)
	}
	if v, _ := srv.Client.Version(context.Background()); str(rec, "ollama_version") != v || v == "" || !strings.HasPrefix(str(rec, "model_digest"), "") || str(rec, "model") != "t/closer" {
		t.Errorf("model %q digest %q version %q", str(rec, "model"), str(rec, "model_digest"), str(rec, "ollama_version"))
	}
	// The hardware figures, while the model is loaded (the test server has
	// no GPU): the split, the memory, and bytes per token times the rate.
	hw, _ := rec["hardware"].(map[string]any)
	f := func(k string) float64 { v, _ := hw[k].(float64); return v }
	if hw["processor"] != "100% CPU" || f("cpu_percent") != 100 || f("gpu_percent") != 0 || f("vram_bytes") != 0 ||
		f("size_bytes") <= 0 || f("bytes_per_token") <= 0 || hw["moe"] != false {
		t.Errorf("hardware %v", hw)
	}
	if want := f("bytes_per_token") * metric(rec, "eval_tps") / 1e9; want <= 0 || math.Abs(f("bandwidth_gbps")-want) > want*1e-9 {
		t.Errorf("bandwidth_gbps %v, want bytes_per_token × eval_tps = %v", f("bandwidth_gbps"), want)
	}
	// --verbose with --json: the figures, hardware too, go to stderr.
	vrec, stderr := runJSON(t, s, "t/closer", "What is 17*3?", "--verbose")
	for _, want := range []string{"eval rate:", "thinking:", "hardware:             100% CPU", "bandwidth:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("--verbose --json: stderr lacks %q:\n%s", want, stderr)
		}
	}
	if str(vrec, "answer") != str(rec, "answer") {
		t.Errorf("--verbose changed the answer: %q", str(vrec, "answer"))
	}
	// A run that is not cut reports Ollama's own eval rate.
	for _, p := range rec["passes"].([]any) {
		p := p.(map[string]any)
		if p["kind"] == "first" {
			want := p["eval_count"].(float64) / p["eval_ms"].(float64) * 1000
			if got := metric(rec, "eval_tps"); got < want*0.999999 || got > want*1.000001 {
				t.Errorf("eval_tps %v, Ollama's eval_count/eval_duration %v", got, want)
			}
		}
	}
	if n := len(rec["token_ms"].([]any)); n != int(metric(rec, "thinking_tokens")+metric(rec, "answer_tokens")) {
		t.Errorf("token_ms has %d entries for %v+%v tokens", n, metric(rec, "thinking_tokens"), metric(rec, "answer_tokens"))
	}
}

// TestRunBudgets covers the cuts of issue 3 against the real server.
func TestRunBudgets(t *testing.T) {
	s := needModels(t)
	runaway := built["t/runaway"]
	answer := strings.TrimSpace(runaway.Answer())
	for _, tc := range []struct {
		name  string
		args  []string
		check func(t *testing.T, rec map[string]any)
	}{
		{"steps", []string{"--max-steps", "3"}, func(t *testing.T, rec map[string]any) {
			if str(rec, "cut_reason") != "steps" || num(rec, "steps") != 3 {
				t.Errorf("cut %q steps %v, want steps 3", str(rec, "cut_reason"), num(rec, "steps"))
			}
			if strings.TrimSpace(str(rec, "answer")) != answer {
				t.Errorf("answer %q, want %q", str(rec, "answer"), answer)
			}
		}},
		{"tokens", []string{"--max-think-tokens", "25"}, func(t *testing.T, rec map[string]any) {
			if str(rec, "cut_reason") != "tokens" || metric(rec, "thinking_tokens") != 25 {
				t.Errorf("cut %q thinking_tokens %v, want tokens 25", str(rec, "cut_reason"), metric(rec, "thinking_tokens"))
			}
			if strings.TrimSpace(str(rec, "answer")) != answer {
				t.Errorf("answer %q, want %q", str(rec, "answer"), answer)
			}
		}},
		{"loop", []string{"--loop", "3"}, func(t *testing.T, rec map[string]any) {
			if str(rec, "cut_reason") != "loop" || num(rec, "loop_repeats") != 3 {
				t.Errorf("cut %q loop_repeats %v, want loop 3", str(rec, "cut_reason"), num(rec, "loop_repeats"))
			}
			// The first step comes back first: its third occurrence is the cut.
			if n := strings.Count(str(rec, "thinking"), "The user asks how many r's appear in strawberry."); n != 3 {
				t.Errorf("thinking holds the first step %d times, want 3", n)
			}
		}},
		{"time", []string{"--max-think-time", "150ms", "--loop", "0"}, func(t *testing.T, rec map[string]any) {
			if str(rec, "cut_reason") != "time" || metric(rec, "wall_ms") < 150 || strings.TrimSpace(str(rec, "answer")) != answer {
				t.Errorf("cut %q wall_ms %v answer %q, want a time cut after 150ms and the answer", str(rec, "cut_reason"), metric(rec, "wall_ms"), str(rec, "answer"))
			}
		}},
		{"stop", []string{"--max-steps", "2", "--on-limit", "stop"}, func(t *testing.T, rec map[string]any) {
			if str(rec, "cut_reason") != "steps" || str(rec, "answer") != "" {
				t.Errorf("cut %q answer %q, want steps and no answer", str(rec, "cut_reason"), str(rec, "answer"))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, _ := runJSON(t, s, append([]string{"t/runaway", "How many r's are in strawberry?"}, tc.args...)...)
			tc.check(t, rec)
		})
	}
}

// TestRunNoCutAndFamilies: models that close their own thinking run with no
// cut and the script's exact text, in every family and in Russian and Chinese.
func TestRunNoCutAndFamilies(t *testing.T) {
	s := needModels(t)
	for _, name := range []string{"t/closer", "t/magistral", "t/deepseek", "t/russian", "t/chinese"} {
		t.Run(name, func(t *testing.T) {
			m := built[name]
			rec, _ := runJSON(t, s, name, "Question?")
			if str(rec, "cut_reason") != "" {
				t.Errorf("cut %q, want none", str(rec, "cut_reason"))
			}
			if got, want := strings.TrimSpace(str(rec, "thinking")), strings.TrimSpace(m.Thinking()); got != want {
				t.Errorf("thinking %q, want %q", got, want)
			}
			if got, want := strings.TrimSpace(str(rec, "answer")), strings.TrimSpace(m.Answer()); got != want {
				t.Errorf("answer %q, want %q", got, want)
			}
			if metric(rec, "eval_tps") <= 0 || metric(rec, "thinking_tokens") <= 0 || metric(rec, "answer_tokens") <= 0 {
				t.Errorf("figures missing: %v", rec["metrics"])
			}
		})
	}
	t.Run("[THINK] family cut", func(t *testing.T) {
		rec, _ := runJSON(t, s, "t/think-tags", "Question?", "--max-steps", "2")
		if str(rec, "cut_reason") != "steps" || strings.TrimSpace(str(rec, "answer")) != "Forty-two." {
			t.Errorf("cut %q answer %q", str(rec, "cut_reason"), str(rec, "answer"))
		}
		if strings.Contains(str(rec, "thinking"), "[THINK]") || strings.Contains(str(rec, "answer"), "[/THINK]") {
			t.Errorf("tags leaked: thinking %q answer %q", str(rec, "thinking"), str(rec, "answer"))
		}
	})
}

// TestRunMinSteps: a model that closes after three steps thinks on when
// --min-steps asks for more.
func TestRunMinSteps(t *testing.T) {
	s := needModels(t)
	rec, _ := runJSON(t, s, "t/closer", "What is 17*3?", "--min-steps", "4")
	if num(rec, "steps") < 4 || !strings.Contains(str(rec, "thinking"), "let me verify once more") {
		t.Errorf("steps %v, thinking %q: want at least 4 steps with the continuation", num(rec, "steps"), str(rec, "thinking"))
	}
	if strings.TrimSpace(str(rec, "answer")) != "17 × 3 = 51." {
		t.Errorf("answer %q", str(rec, "answer"))
	}
}

// TestRunExternalHook: a hook program stops the run on a given word.
func TestRunExternalHook(t *testing.T) {
	s := needModels(t)
	t.Setenv("REIN_TEST_HOOK_CUT_ON", "re-read")
	exe, _ := os.Executable()
	rec, stderr := runJSON(t, s, "t/runaway", "How many?", "--loop", "0", "--hook", exe)
	if str(rec, "cut_reason") != "hook" {
		t.Fatalf("cut %q, want hook (stderr %s)", str(rec, "cut_reason"), stderr)
	}
	if strings.Count(str(rec, "thinking"), "re-read") != 1 {
		t.Errorf("thinking %q: want the cut right after the first re-read", str(rec, "thinking"))
	}
	// The hook's own reason reaches the record.
	if str(rec, "cut_detail") != "saw re-read" {
		t.Errorf("cut_detail %q, want the hook's reason", str(rec, "cut_detail"))
	}
}

// TestRunExternalHookAbort: a hook program's abort ends the run with its
// own reason, in the error line and in the record (it once read "aborted
// by hook: hook").
func TestRunExternalHookAbort(t *testing.T) {
	s := needModels(t)
	t.Setenv("REIN_TEST_HOOK_ABORT_ON", "re-read")
	exe, _ := os.Executable()
	log := filepath.Join(t.TempDir(), "runs.jsonl")
	_, errOut, code := reinRun(t, context.Background(), s, nil, "t/runaway", "How many?", "--loop", "0", "--hook", exe, "--log", log)
	if code != exitError || !strings.Contains(errOut, "aborted by hook: saw re-read") {
		t.Fatalf("exit %d, stderr %q, want the hook's reason", code, errOut)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil || str(rec, "cut_detail") != "saw re-read" {
		t.Errorf("logged record cut_detail %q (%v)", str(rec, "cut_detail"), err)
	}
}

// runCounted runs `rein run ARGS --json` on s and returns the record and
// the cache slots the server logged for it. A run that met Ollama's
// lost-slot bug reloaded the model and lost the cache (runner/wedge.go), so
// it is run again, up to three times in all.
func runCounted(t *testing.T, s *ollamatest.Server, args ...string) (map[string]any, []ollamatest.CacheSlot) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		before := len(s.CacheSlots())
		rec, _ := runJSON(t, s, args...)
		slots := s.CacheSlots()[before:]
		if !strings.Contains(fmt.Sprint(rec["warnings"]), "17131") || attempt == 3 {
			return rec, slots
		}
		t.Logf("attempt %d reloaded the model after ollama/ollama#17131; measuring again", attempt)
	}
}

// TestRunResumeCost: the raw resume reuses the KV cache, so it evaluates no
// more than the budget message plus the closing tag plus 8 tokens. The
// figure comes from the server's own debug log. The chat fallback
// evaluates more, and both are recorded.
func TestRunResumeCost(t *testing.T) {
	s := needModels(t)
	m := built["t/runaway"]
	rec, slots := runCounted(t, s, "t/runaway", "How many r's are in strawberry?", "--max-steps", "3")
	msgTokens := len(m.Vocab.Encode(budgetMessage(rec) + "</think>"))
	if len(slots) < 2 {
		t.Fatalf("server logged %d cache slots", len(slots))
	}
	resume := slots[len(slots)-1]
	t.Logf("raw resume: server evaluated %d of %d prompt tokens (message+tag %d); rein says %v", resume.Remaining, resume.Prompt, msgTokens, metric(rec, "resume_eval_tokens"))
	// At most the budget message, the closing tag, and the two tokens the
	// server's cache lacks after a pass it ended (the step separator it
	// stripped, or the last token of a pass it stopped at num_predict).
	if resume.Remaining > msgTokens+2 {
		t.Errorf("resume evaluated %d prompt tokens, want ≤ %d", resume.Remaining, msgTokens+2)
	}
	if got := metric(rec, "resume_eval_tokens"); got != float64(resume.Remaining) {
		t.Errorf("resume_eval_tokens %v, the server evaluated %d", got, resume.Remaining)
	}

	// The chat fallback on the same model and cut.
	prof := runner.InferProfile(m.Family.Template, nil, "qwen3")
	prof.Chat = true
	prof.BudgetMessage = budgetMessage(rec)
	r := &runner.Runner{Backend: s.Client}
	var crec *runner.Record
	var cslots []ollamatest.CacheSlot
	for attempt := 1; ; attempt++ {
		before := len(s.CacheSlots())
		var err error
		crec, err = r.Run(context.Background(), &runner.Request{Model: "t/runaway", Prompt: "How many r's are in strawberry?", Think: budget.Ptr(true), Profile: &prof, Budgets: budget.Budgets{MaxSteps: budget.Ptr(3)}})
		if err != nil {
			t.Fatal(err)
		}
		cslots = s.CacheSlots()[before:]
		if !strings.Contains(strings.Join(crec.Warnings, "\n"), "17131") || attempt == 3 {
			break
		}
		t.Logf("chat attempt %d reloaded the model after ollama/ollama#17131; measuring again", attempt)
	}
	chatResume := cslots[len(cslots)-1]
	t.Logf("chat resume: server evaluated %d of %d prompt tokens; rein says %d", chatResume.Remaining, chatResume.Prompt, crec.Metrics.ResumeEvalTokens)
	if crec.CutReason != "steps" || chatResume.Remaining <= resume.Remaining {
		t.Errorf("chat fallback: cut %q, evaluated %d (raw %d): want a steps cut that costs more", crec.CutReason, chatResume.Remaining, resume.Remaining)
	}
	// rein's chat figure is an estimate: within a few tokens of the server's.
	if d := crec.Metrics.ResumeEvalTokens - chatResume.Remaining; d < -8 || d > 8 {
		t.Errorf("chat fallback recorded resume_eval_tokens %d, server evaluated %d", crec.Metrics.ResumeEvalTokens, chatResume.Remaining)
	}
}

// TestRunResumeNewEngine runs the raw resume on Ollama's Go runner too.
func TestRunResumeNewEngine(t *testing.T) {
	needModels(t)
	if testing.Short() {
		t.Skip()
	}
	ctx := context.Background()
	s2, err := ollamatest.Start(ctx, ollamatest.Options{Debug: true, NewEngine: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Stop()
	m := built["t/runaway"]
	if err := createOn(ctx, s2, "t/runaway"); err != nil {
		t.Fatal(err)
	}
	rec, slots := runCounted(t, s2, "t/runaway", "How many r's are in strawberry?", "--max-steps", "3")
	msgTokens := len(m.Vocab.Encode(budgetMessage(rec) + "</think>"))
	if len(slots) < 2 {
		t.Fatalf("server logged %d cache slots", len(slots))
	}
	resume := slots[len(slots)-1]
	t.Logf("new engine resume: evaluated %d of %d; rein says %v", resume.Remaining, resume.Prompt, metric(rec, "resume_eval_tokens"))
	if str(rec, "cut_reason") != "steps" || resume.Remaining > msgTokens+8 {
		t.Errorf("cut %q, resume evaluated %d, want steps and ≤ %d", str(rec, "cut_reason"), resume.Remaining, msgTokens+8)
	}
}

// TestRunBadInput: one clear line and a useful exit code.
func TestRunBadInput(t *testing.T) {
	s := needModels(t)
	ctx := context.Background()
	t.Run("server down", func(t *testing.T) {
		t.Setenv("OLLAMA_HOST", "127.0.0.1:1")
		_, errOut, code := reinRun(t, ctx, nil, nil, "t/closer", "hi", "--no-log")
		if code != 1 || !strings.Contains(errOut, "cannot reach Ollama at") || !strings.Contains(errOut, "ollama serve") ||
			strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("unknown model", func(t *testing.T) {
		_, errOut, code := reinRun(t, ctx, s, nil, "no-such-model", "hi", "--no-log")
		if code != 1 || !strings.Contains(errOut, "not found") || !strings.Contains(errOut, "rein pull no-such-model") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("negative budget", func(t *testing.T) {
		_, errOut, code := reinRun(t, ctx, s, nil, "t/closer", "hi", "--max-steps", "-2", "--no-log")
		if code != 2 || !strings.Contains(errOut, "--max-steps") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("unknown option", func(t *testing.T) {
		_, errOut, code := reinRun(t, ctx, s, nil, "t/closer", "hi", "--option", "temprature=0.6", "--no-log")
		if code != 2 || !strings.Contains(errOut, `unknown Ollama option "temprature"`) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("budgets on a model that does not think", func(t *testing.T) {
		out, errOut, code := reinRun(t, ctx, s, nil, "t/no-thinking", "hi", "--max-steps", "2", "--no-log")
		if code != 0 || !strings.Contains(errOut, "warning") || strings.TrimSpace(out) != "Just the answer." {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	t.Run("no budgets on a model that does not think", func(t *testing.T) {
		// The default loop cut is no budget the user asked for: no warning.
		out, errOut, code := reinRun(t, ctx, s, nil, "t/no-thinking", "hi", "--no-log")
		if code != 0 || strings.Contains(errOut, "warning") || strings.TrimSpace(out) != "Just the answer." {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
}

// TestRunInterrupted: Ctrl-C writes a record with cut_reason interrupted and
// exits 130; a server killed mid-run leaves a record with the partial trace
// and the error, and a non-zero exit.
func TestRunInterrupted(t *testing.T) {
	s := needModels(t)
	log := filepath.Join(t.TempDir(), "runs.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	stopAt := hooks.Func(func(_ context.Context, ev *hooks.Event) hooks.Decision {
		if ev.Kind == hooks.KindToken {
			if n++; n == 40 {
				cancel() // what Ctrl-C does to the command's context
			}
		}
		return hooks.Decision{}
	})
	_, _, code := reinRun(t, ctx, s, []hooks.Hook{stopAt}, "t/runaway", "How many?", "--loop", "0", "--log", log)
	if code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
	recs := readLog(t, log)
	if len(recs) != 1 || str(recs[0], "cut_reason") != "interrupted" || !strings.Contains(str(recs[0], "thinking"), "strawberry") {
		t.Fatalf("log after Ctrl-C: %v", recs)
	}
	if fi, _ := os.Stat(log); fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode %v, want 0600", fi.Mode().Perm())
	}

	// A server of its own, killed mid-run.
	s2, err := ollamatest.Start(context.Background(), ollamatest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Stop()
	if err := createOn(context.Background(), s2, "t/runaway"); err != nil {
		t.Fatal(err)
	}
	n = 0
	kill := hooks.Func(func(_ context.Context, ev *hooks.Event) hooks.Decision {
		if ev.Kind == hooks.KindToken {
			if n++; n == 40 {
				s2.Kill()
			}
		}
		return hooks.Decision{}
	})
	_, errOut, code := reinRun(t, context.Background(), s2, []hooks.Hook{kill}, "t/runaway", "How many?", "--loop", "0", "--log", log)
	if code == 0 {
		t.Errorf("exit 0 after the server died; stderr %q", errOut)
	}
	recs = readLog(t, log)
	if len(recs) != 2 {
		t.Fatalf("log has %d records, want 2", len(recs))
	}
	last := recs[1]
	if str(last, "error") == "" || str(last, "cut_reason") != "error" || !strings.Contains(str(last, "thinking"), "strawberry") {
		t.Errorf("record after the server died: cut %q error %q thinking %q", str(last, "cut_reason"), str(last, "error"), str(last, "thinking"))
	}
}

func readLog(t *testing.T, path string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	torn, err := hooks.ReadJSONL(path, func(line []byte) error {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			return err
		}
		recs = append(recs, m)
		return nil
	})
	if err != nil || torn {
		t.Fatalf("read log: torn %v err %v", torn, err)
	}
	return recs
}

func createOn(ctx context.Context, s *ollamatest.Server, name string) error {
	return createModelOn(ctx, s, name, built[name])
}

// TestRunProfileBudgets: budgets in the user's profile file apply to the
// models their profile matches, and a flag wins over them.
func TestRunProfileBudgets(t *testing.T) {
	s := needModels(t)
	dir := t.TempDir()
	t.Setenv("REIN_CONFIG_DIR", dir)
	profiles := "profiles:\n  - name: runaway-budget\n    match: {names: [\"t/runaway\"]}\n    think_open: \"<think>\"\n    think_close: \"</think>\"\n    budgets:\n      max_steps: 1\n      loop: 0\n"
	if err := os.WriteFile(filepath.Join(dir, "profiles.yaml"), []byte(profiles), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args        []string
		steps, loop float64
	}{
		{nil, 1, 0},
		{[]string{"--max-steps", "2"}, 2, 0},
		{[]string{"--loop", "3"}, 1, 3},
	}
	for _, tt := range tests {
		rec, stderr := runJSON(t, s, append([]string{"t/runaway", "How many r's are in strawberry?"}, tt.args...)...)
		b, _ := rec["budgets"].(map[string]any)
		budget := func(k string) float64 { v, _ := b[k].(float64); return v }
		if budget("max_steps") != tt.steps || budget("loop") != tt.loop {
			t.Errorf("%v: budgets max_steps %v loop %v, want %v and %v", tt.args, budget("max_steps"), budget("loop"), tt.steps, tt.loop)
		}
		if str(rec, "cut_reason") != "steps" || num(rec, "steps") != tt.steps {
			t.Errorf("%v: cut %q after %v steps, want steps after %v (stderr %s)", tt.args, str(rec, "cut_reason"), num(rec, "steps"), tt.steps, stderr)
		}
	}
	// An explicit 0 wins over the profile's budget too.
	rec, stderr := runJSON(t, s, "t/runaway", "How many r's are in strawberry?", "--max-steps", "0", "--max-think-tokens", "25")
	if b, _ := rec["budgets"].(map[string]any); b["max_steps"] != 0.0 || str(rec, "cut_reason") != "tokens" {
		t.Errorf("--max-steps 0: budgets %v, cut %q (stderr %s)", b, str(rec, "cut_reason"), stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "profiles.yaml"), []byte("profiles:\n  - name: x\n    budgets: {max_steps: -2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := reinRun(t, context.Background(), s, nil, "t/runaway", "hi", "--no-log")
	if code != 1 || !strings.Contains(errOut, "profiles.yaml:3: profiles[0].budgets.max_steps") {
		t.Errorf("bad profile file: exit %d, stderr %q", code, errOut)
	}
}

// TestRunTrace: --trace writes every event of the run as a JSON line, the
// form external hooks read, in order, ending with the cut's resume and done.
func TestRunTrace(t *testing.T) {
	s := needModels(t)
	trace := filepath.Join(t.TempDir(), "trace.jsonl")
	rec, stderr := runJSON(t, s, "t/runaway", "How many?", "--max-steps", "2", "--trace", trace)
	if str(rec, "cut_reason") != "steps" {
		t.Fatalf("cut %q (stderr %s)", str(rec, "cut_reason"), stderr)
	}
	var kinds []string
	var lastSeq int64 = -1
	var thinking strings.Builder
	torn, err := hooks.ReadJSONL(trace, func(line []byte) error {
		var ev hooks.Event
		if err := json.Unmarshal(line, &ev); err != nil {
			return err
		}
		if ev.RunID != str(rec, "run_id") || ev.Seq <= lastSeq {
			t.Errorf("event %+v: run id %q, seq after %d", ev, str(rec, "run_id"), lastSeq)
		}
		lastSeq = ev.Seq
		if len(kinds) == 0 || kinds[len(kinds)-1] != string(ev.Kind) {
			kinds = append(kinds, string(ev.Kind))
		}
		if ev.Kind == hooks.KindToken && ev.Phase == hooks.PhaseThinking {
			thinking.WriteString(ev.Text)
		}
		return nil
	})
	if err != nil || torn {
		t.Fatalf("trace: torn %v err %v", torn, err)
	}
	got := strings.Join(kinds, " ")
	for _, want := range []string{"run_start token", "step", "cut", "answer_start", "done"} {
		if !strings.Contains(got, want) {
			t.Errorf("event kinds %q lack %q", got, want)
		}
	}
	if !strings.HasSuffix(got, "done") {
		t.Errorf("event kinds %q do not end with done", got)
	}
	if strings.TrimSpace(thinking.String()) != strings.TrimSpace(str(rec, "thinking")) {
		t.Errorf("thinking tokens of the trace %q, record %q", thinking.String(), str(rec, "thinking"))
	}
}
