package runner

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/models"
)

const question = "What is 2+2?"

// basePrompt is question rendered by qwenTemplate with thinking on.
const basePrompt = "<|im_start|>user\n" + question + "<|im_end|>\n" + assistantTurn

func defaultModel() fakeModel {
	return fakeModel{family: "qwen3", natural: naturalScript, resume: resumeScript, wait: waitScript}
}

func newTestRunner(f *fakeServer) (*Runner, *fakeClock) {
	c := newFakeClock()
	return &Runner{Backend: tickingBackend{Backend: f.client(), clock: c}, Now: c.Now, Profiles: testProfiles()}, c
}

func thinkReq() *Request {
	// The loop cut is off, so that each test turns on only what it tests.
	return &Request{Model: "fake", Prompt: question, Think: budget.Ptr(true), RunID: "run-1",
		Budgets: budget.Budgets{Loop: budget.Ptr(0)}}
}

// checkRawRequest checks the fields every raw generation request must have.
func checkRawRequest(t *testing.T, i int, r api.GenerateRequest) {
	t.Helper()
	if !r.Raw {
		t.Errorf("request %d: raw is false", i)
	}
	if r.Think == nil || r.Think.Value != false {
		t.Errorf("request %d: think = %v, want false", i, r.Think)
	}
	if r.Shift == nil || *r.Shift {
		t.Errorf("request %d: shift = %v, want false", i, r.Shift)
	}
	if r.Truncate == nil || *r.Truncate {
		t.Errorf("request %d: truncate = %v, want false", i, r.Truncate)
	}
	if !r.Logprobs {
		t.Errorf("request %d: logprobs not requested", i)
	}
	if _, ok := r.Options["num_ctx"]; !ok {
		t.Errorf("request %d: no num_ctx", i)
	}
}

func passKinds(rec *Record) []string {
	var k []string
	for _, p := range rec.Passes {
		k = append(k, p.Kind)
	}
	return k
}

func TestRunNoCut(t *testing.T) {
	f := newFakeServer(t, defaultModel())
	r, _ := newTestRunner(f)
	shown := map[hooks.Phase]string{}
	r.OnToken = func(ph hooks.Phase, s string) { shown[ph] += s }
	rec, err := r.Run(context.Background(), thinkReq())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Thinking != "Step one.\n\nStep two.\n\nStep three." {
		t.Errorf("thinking %q", rec.Thinking)
	}
	if rec.Answer != "The answer is 4." {
		t.Errorf("answer %q", rec.Answer)
	}
	if rec.CutReason != "" || rec.DoneReason != "stop" || rec.Error != "" {
		t.Errorf("cut %q done %q error %q", rec.CutReason, rec.DoneReason, rec.Error)
	}
	if rec.Steps != 3 || rec.Metrics.Steps != 3 {
		t.Errorf("steps %d / %d, want 3", rec.Steps, rec.Metrics.Steps)
	}
	// No prefill pass: the first pass ends on the server's done, and its
	// final chunk has the load and prompt figures.
	if got, want := passKinds(rec), []string{PassFirst}; !slices.Equal(got, want) {
		t.Errorf("passes %v, want %v", got, want)
	}
	reqs := f.reqs()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	for i, q := range reqs {
		checkRawRequest(t, i, q)
		if q.Prompt != basePrompt {
			t.Errorf("request %d prompt %q, want %q", i, q.Prompt, basePrompt)
		}
	}
	// The thinking may take the context but the answer room (contextBound):
	// no prefill pass counted the prompt, so its bytes stand in.
	b := rec.Budgets
	if np, want := reqs[0].Options["num_predict"], b.NumCtx-len(basePrompt)-models.DefaultAnswerRoom-len(b.BudgetMessage)-len("</think>")-ctxSlack; np != float64(want) {
		t.Errorf("num_predict %v, want %d", np, want)
	}

	m := rec.Metrics
	// 13 thinking tokens ("\n" after the tag included), 5 answer tokens;
	// the tags and the blank line before the answer are neither.
	if m.ThinkingTokens != 13 || m.AnswerTokens != 5 {
		t.Errorf("thinking %d answer %d tokens, want 13 and 5", m.ThinkingTokens, m.AnswerTokens)
	}
	if len(rec.TokenMS) != 18 {
		t.Errorf("%d token times, want 18", len(rec.TokenMS))
	}
	// Chunks arrive 10ms apart on the fake clock, from the first pass's
	// start, which is the request's.
	if m.TTFTMS != 10 || m.TTFAMS != 170 || m.WallMS != 220 {
		t.Errorf("ttft %v ttfa %v wall %v, want 10 170 220", m.TTFTMS, m.TTFAMS, m.WallMS)
	}
	if rec.TokenMS[0] != 20 || rec.TokenMS[17] != 210 {
		t.Errorf("token times %v", rec.TokenMS)
	}
	if m.ThinkingMS != 120 || m.AnswerMS != 40 {
		t.Errorf("thinking_ms %v answer_ms %v, want 120 and 40", m.ThinkingMS, m.AnswerMS)
	}
	if !near(m.ThinkingTPS, 13/0.120) {
		t.Errorf("thinking_tps %v", m.ThinkingTPS)
	}
	// The server's figures: eval_tps equals eval_count/eval_duration.
	first := rec.Passes[0]
	if first.EvalCount != 22 || m.EvalCount != 22 || !near(m.EvalTPS, float64(first.EvalCount)/(first.EvalMS/1000)) {
		t.Errorf("eval_count %d eval_ms %v eval_tps %v", first.EvalCount, first.EvalMS, m.EvalTPS)
	}
	prompt := len(f.tokenize(basePrompt))
	if m.PromptTokens != prompt || m.PromptMS != float64(prompt) || m.PrefillTPS != 1000 || m.LoadMS != 1 {
		t.Errorf("prompt %d in %vms (%v/s), load %v", m.PromptTokens, m.PromptMS, m.PrefillTPS, m.LoadMS)
	}
	if m.WastedTokens != 0 || m.ResumeEvalTokens != 0 {
		t.Errorf("wasted %d resume %d", m.WastedTokens, m.ResumeEvalTokens)
	}
	if rec.OllamaVersion != "0.17.4" || rec.ModelDigest != "sha256:feed" {
		t.Errorf("version %q digest %q", rec.OllamaVersion, rec.ModelDigest)
	}
	if shown[hooks.PhaseThinking] != "Step one.\n\nStep two.\n\nStep three.\n" || shown[hooks.PhaseAnswer] != "The answer is 4." {
		t.Errorf("OnToken saw %q", shown)
	}
}

func TestRecordJSONKeys(t *testing.T) {
	f := newFakeServer(t, defaultModel())
	r, _ := newTestRunner(f)
	rec, err := r.Run(context.Background(), thinkReq())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	want := []string{"run_id", "model", "prompt", "thinking", "answer", "steps", "cut_reason", "done_reason",
		"loop_repeats", "token_ms", "metrics", "hardware", "model_digest", "ollama_version", "error",
		"time", "budgets", "passes", "languages", "language_consistent"}
	if got := slices.Sorted(maps.Keys(top)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("top-level keys %v\nwant %v", got, slices.Sorted(slices.Values(want)))
	}
	if string(top["hardware"]) != "{}" {
		t.Errorf("hardware %s, want {}", top["hardware"])
	}
	var metrics map[string]any
	if err := json.Unmarshal(top["metrics"], &metrics); err != nil {
		t.Fatal(err)
	}
	wantM := []string{"load_ms", "prompt_tokens", "prompt_ms", "prefill_tps", "ttft_ms", "ttfa_ms",
		"thinking_tokens", "thinking_ms", "thinking_tps", "answer_tokens", "answer_ms", "answer_tps",
		"eval_count", "eval_ms", "eval_tps", "clock_ms", "other_tokens", "wall_ms", "steps",
		"resumes", "resume_prompt_tokens", "resume_prompt_ms", "resume_eval_tokens", "wasted_tokens"}
	if got := slices.Sorted(maps.Keys(metrics)); !slices.Equal(got, slices.Sorted(slices.Values(wantM))) {
		t.Errorf("metrics keys %v\nwant %v", got, slices.Sorted(slices.Values(wantM)))
	}
	for k, v := range metrics {
		if _, ok := v.(float64); !ok {
			t.Errorf("metric %s = %v is not a number", k, v)
		}
	}
}

// cutResumePrompt is the resume prompt after a cut that kept gen.
func cutResumePrompt(gen string) string {
	return basePrompt + gen + joinNewlines(gen, DefaultBudgetMessage) + "</think>"
}

func TestRunCutBySteps(t *testing.T) {
	m := defaultModel()
	m.chunk = 2 // "\n\n" and the next token would arrive together
	f := newFakeServer(t, m)
	r, _ := newTestRunner(f)
	q := thinkReq()
	q.Budgets.MaxSteps = budget.Ptr(1)
	rec, err := r.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if rec.CutReason != hooks.ReasonSteps {
		t.Errorf("cut reason %q", rec.CutReason)
	}
	if rec.Thinking != "Step one." || rec.Answer != "Final answer: 4." || rec.Steps != 1 {
		t.Errorf("thinking %q answer %q steps %d", rec.Thinking, rec.Answer, rec.Steps)
	}
	reqs := f.reqs()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	// The first pass ends at the step separator, by the server.
	if st, _ := reqs[0].Options["stop"].([]any); len(st) != 1 || st[0] != "\n\n" {
		t.Errorf("first pass stop %v, want the paragraph separator", reqs[0].Options["stop"])
	}
	if _, ok := reqs[1].Options["stop"]; ok {
		t.Errorf("the resume has a stop: %v", reqs[1].Options["stop"])
	}
	want := basePrompt + "<think>\nStep one.\n\nTime is up. I have to stop thinking and give my final answer now.\n</think>"
	if reqs[1].Prompt != want {
		t.Errorf("resume prompt\n%q\nwant\n%q", reqs[1].Prompt, want)
	}
	if want != cutResumePrompt("<think>\nStep one.\n\n") {
		t.Errorf("joinNewlines does not join as expected")
	}
	checkRawRequest(t, 1, reqs[1])
	if got, want := passKinds(rec), []string{PassFirst, PassResume}; !slices.Equal(got, want) {
		t.Errorf("passes %v, want %v", got, want)
	}
	// No stream was closed, and nothing generated was thrown away.
	if rec.Passes[0].Cancelled || rec.Passes[1].Cancelled {
		t.Errorf("cancelled flags %v %v", rec.Passes[0].Cancelled, rec.Passes[1].Cancelled)
	}
	if rec.Metrics.WastedTokens != 0 {
		t.Errorf("wasted %d, want 0", rec.Metrics.WastedTokens)
	}
	// The separator counts as thinking: the server generated it.
	if rec.Metrics.ThinkingTokens != 5 {
		t.Errorf("thinking tokens %d, want 5 (\\n Step one . \\n\\n)", rec.Metrics.ThinkingTokens)
	}
	// The resume evaluated the budget message and the closing tag only;
	// exact, since the fake's counts follow the tokens.
	res := rec.Passes[1]
	if res.ResumeEvalEstimate || res.ResumeEvalTokens != f.evaluated[1] {
		t.Errorf("resume eval %d (estimate %v), server evaluated %d", res.ResumeEvalTokens, res.ResumeEvalEstimate, f.evaluated[1])
	}
	// ... and the separator, which the server stripped from its cache.
	if f.evaluated[1] != len(f.tokenize("\n\n"+joinNewlines("\n\n", DefaultBudgetMessage)+"</think>")) {
		t.Errorf("fake evaluated %d (cache not reused?)", f.evaluated[1])
	}
	if rec.Metrics.ResumeEvalTokens != res.ResumeEvalTokens || rec.Metrics.ResumePromptMS != res.PromptEvalMS {
		t.Errorf("metrics resume %d %v", rec.Metrics.ResumeEvalTokens, rec.Metrics.ResumePromptMS)
	}
	// eval_tps is eval_count over eval_ms, every pass's.
	if m := rec.Metrics; m.EvalCount != rec.Passes[0].EvalCount+res.EvalCount || !near(m.EvalTPS, float64(m.EvalCount)/(m.EvalMS/1000)) {
		t.Errorf("eval %d in %vms at %v/s, passes %+v", m.EvalCount, m.EvalMS, m.EvalTPS, rec.Passes)
	}
}

func TestRunCutByTokens(t *testing.T) {
	f := newFakeServer(t, defaultModel())
	r, _ := newTestRunner(f)
	q := thinkReq()
	q.Budgets.MaxThinkTokens = budget.Ptr(4)
	q.Budgets.MaxAnswerTokens = budget.Ptr(100)
	rec, err := r.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.reqs()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	// 4 thinking tokens plus the opening tag.
	if np := reqs[1].Options["num_predict"]; np != 5.0 {
		t.Errorf("num_predict %v, want 5", np)
	}
	if np := reqs[2].Options["num_predict"]; np != 100.0 {
		t.Errorf("resume num_predict %v, want 100", np)
	}
	if rec.CutReason != hooks.ReasonTokens || rec.Metrics.ThinkingTokens != 4 {
		t.Errorf("cut %q thinking tokens %d", rec.CutReason, rec.Metrics.ThinkingTokens)
	}
	if rec.Passes[1].DoneReason != "length" || rec.Passes[1].Cancelled {
		t.Errorf("first pass %+v", rec.Passes[1])
	}
	if want := cutResumePrompt("<think>\nStep one."); reqs[2].Prompt != want {
		t.Errorf("resume prompt %q, want %q", reqs[2].Prompt, want)
	}
	if rec.Thinking != "Step one." || rec.Answer != "Final answer: 4." {
		t.Errorf("thinking %q answer %q", rec.Thinking, rec.Answer)
	}
	// The first pass ended at the server, so its last token was not in the
	// cache: the exact figure counts it.
	if res := rec.Passes[2]; res.ResumeEvalEstimate || res.ResumeEvalTokens != f.evaluated[2]+1 {
		t.Errorf("resume eval %d, fake evaluated %d", res.ResumeEvalTokens, f.evaluated[2])
	}
	if rec.Metrics.WastedTokens != 0 {
		t.Errorf("wasted %d", rec.Metrics.WastedTokens)
	}
	if rec.Metrics.EvalTPS != 100 { // 5 tokens in 50ms
		t.Errorf("eval_tps %v", rec.Metrics.EvalTPS)
	}
}

func TestRunContinueAfterLength(t *testing.T) {
	// The model closes its thinking inside the token budget and the server
	// stops in the middle of the answer: a second pass continues it.
	f := newFakeServer(t, defaultModel())
	r, _ := newTestRunner(f)
	q := thinkReq()
	q.Budgets.MaxThinkTokens = budget.Ptr(15)
	rec, err := r.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if rec.CutReason != "" || rec.Answer != "The answer is 4." {
		t.Errorf("cut %q answer %q", rec.CutReason, rec.Answer)
	}
	if got, want := passKinds(rec), []string{PassFirst, PassContinue}; !slices.Equal(got, want) {
		t.Errorf("passes %v", got)
	}
	reqs := f.reqs()
	if want := basePrompt + strings.Join(naturalScript[:16], ""); reqs[1].Prompt != want {
		t.Errorf("continue prompt %q, want %q", reqs[1].Prompt, want)
	}
	if rec.Metrics.AnswerTokens != 5 || rec.Metrics.ThinkingTokens != 13 {
		t.Errorf("tokens %d %d", rec.Metrics.ThinkingTokens, rec.Metrics.AnswerTokens)
	}
}

func TestRunLoopCut(t *testing.T) {
	m := defaultModel()
	m.natural = loopScript(20)
	f := newFakeServer(t, m)
	r, _ := newTestRunner(f)
	q := thinkReq()
	q.Budgets.Loop = budget.Ptr(3)
	var events []hooks.Event
	q.Hooks = []hooks.Hook{hooks.Func(func(_ context.Context, ev *hooks.Event) hooks.Decision {
		events = append(events, *ev)
		return hooks.Decision{}
	})}
	rec, err := r.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if rec.CutReason != hooks.ReasonLoop || rec.LoopRepeats != 3 || rec.LoopSignal != hooks.SignalStep {
		t.Errorf("cut %q repeats %d signal %q", rec.CutReason, rec.LoopRepeats, rec.LoopSignal)
	}
	if rec.Steps != 3 || rec.Answer != "Final answer: 4." {
		t.Errorf("steps %d answer %q", rec.Steps, rec.Answer)
	}
	// Events: in order, numbered, with a cut event carrying the loop.
	var kinds []hooks.Kind
	for i, ev := range events {
		if ev.Seq != int64(i+1) || ev.RunID != "run-1" {
			t.Fatalf("event %d: seq %d run %q", i, ev.Seq, ev.RunID)
		}
		if len(kinds) == 0 || kinds[len(kinds)-1] != ev.Kind {
			kinds = append(kinds, ev.Kind)
		}
		if ev.Kind == hooks.KindCut && (ev.Reason != hooks.ReasonLoop || ev.Repeats != 3) {
			t.Errorf("cut event %+v", ev)
		}
	}
	want := []hooks.Kind{hooks.KindRunStart, hooks.KindToken, hooks.KindStep, hooks.KindToken, hooks.KindStep,
		hooks.KindToken, hooks.KindStep, hooks.KindCut, hooks.KindAnswerStart, hooks.KindToken, hooks.KindDone}
	if !slices.Equal(kinds, want) {
		t.Errorf("event kinds %v\nwant %v", kinds, want)
	}
}

func TestRunInterrupted(t *testing.T) {
	m := defaultModel()
	m.blockAfter = 8
	f := newFakeServer(t, m)
	r, _ := newTestRunner(f)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	q := thinkReq()
	q.Hooks = []hooks.Hook{hooks.Func(func(_ context.Context, ev *hooks.Event) hooks.Decision {
		if ev.Kind == hooks.KindToken && ev.ThinkingTokens == 6 {
			cancel() // as a Ctrl-C would
		}
		return hooks.Decision{}
	})}
	rec, err := r.Run(ctx, q)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if rec == nil || rec.CutReason != hooks.ReasonInterrupted || rec.Error == "" {
		t.Fatalf("record %+v", rec)
	}
	if !strings.HasPrefix(rec.Thinking, "Step one.\n\nStep") || rec.Answer != "" {
		t.Errorf("partial thinking %q answer %q", rec.Thinking, rec.Answer)
	}
	// The stream was abandoned mid-way: the model is a suspect now (see
	// wedge.go), and Suspects says so for the next process.
	if _, ok := GuardOf(r.Backend).Suspects()["fake"]; !ok {
		t.Error("an interrupted run did not make its model a suspect")
	}
}

func TestRunServerDies(t *testing.T) {
	m := defaultModel()
	m.dieAfter = 7
	f := newFakeServer(t, m)
	r, _ := newTestRunner(f)
	rec, err := r.Run(context.Background(), thinkReq())
	if err == nil {
		t.Fatal("no error")
	}
	if rec.CutReason != hooks.ReasonError || rec.Error == "" {
		t.Errorf("cut %q error %q", rec.CutReason, rec.Error)
	}
	if rec.Thinking != "Step one.\n\nStep" || rec.Metrics.ThinkingTokens != 6 {
		t.Errorf("partial thinking %q (%d tokens)", rec.Thinking, rec.Metrics.ThinkingTokens)
	}
}

func TestRunValidation(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Request)
		want string
	}{
		{"negative think tokens", func(q *Request) { q.Budgets.MaxThinkTokens = budget.Ptr(-1) }, "max think tokens must be 0 or more"},
		{"negative steps", func(q *Request) { q.Budgets.MaxSteps = budget.Ptr(-2) }, "max steps must be 0 or more"},
		{"negative time", func(q *Request) { q.Budgets.MaxThinkTime = budget.Ptr(-time.Second) }, "max think time must be 0 or more"},
		{"bad on-limit", func(q *Request) { q.Budgets.OnLimit = budget.Ptr("later") }, "on limit must be"},
		{"bad step mode", func(q *Request) { q.Budgets.StepMode = budget.Ptr(hooks.StepMode("word")) }, "step mode"},
		{"answer above cap", func(q *Request) { q.Budgets.MaxTokens, q.Budgets.MaxAnswerTokens = budget.Ptr(10), budget.Ptr(10) }, "below max tokens"},
		{"no prompt", func(q *Request) { q.Prompt = "" }, "prompt is required"},
	}
	f := newFakeServer(t, defaultModel())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := newTestRunner(f)
			q := thinkReq()
			tc.edit(q)
			rec, err := r.Run(context.Background(), q)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if rec == nil || rec.CutReason != hooks.ReasonError || rec.Error != err.Error() {
				t.Errorf("record %+v", rec)
			}
		})
	}
	if n := len(f.reqs()); n != 0 {
		t.Errorf("%d generate requests for invalid runs", n)
	}
}

func TestRunChunkedAndWithoutLogprobs(t *testing.T) {
	for _, tc := range []struct {
		name       string
		chunk      int
		noLogprobs bool
	}{
		{"three tokens a chunk", 3, false},
		{"one token a chunk, no logprobs", 1, true},
		{"three tokens a chunk, no logprobs", 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := defaultModel()
			m.chunk, m.noLogprobs = tc.chunk, tc.noLogprobs
			f := newFakeServer(t, m)
			r, _ := newTestRunner(f)
			rec, err := r.Run(context.Background(), thinkReq())
			if err != nil {
				t.Fatal(err)
			}
			if rec.Thinking != "Step one.\n\nStep two.\n\nStep three." || rec.Answer != "The answer is 4." || rec.Steps != 3 {
				t.Errorf("thinking %q answer %q steps %d", rec.Thinking, rec.Answer, rec.Steps)
			}
			// Every generated token is accounted for: from logprobs, or
			// reconciled with eval_count (less the end-of-sequence token).
			p := rec.Passes[0]
			if p.Tokens != len(naturalScript) {
				t.Errorf("pass tokens %d, want %d", p.Tokens, len(naturalScript))
			}
			if !tc.noLogprobs && (rec.Metrics.ThinkingTokens != 13 || rec.Metrics.AnswerTokens != 5) {
				t.Errorf("tokens %d %d", rec.Metrics.ThinkingTokens, rec.Metrics.AnswerTokens)
			}
		})
	}
}

func TestRunPlainModelWarns(t *testing.T) {
	m := defaultModel()
	m.caps = []model.Capability{model.CapabilityCompletion}
	m.template = strings.ReplaceAll(strings.ReplaceAll(qwenTemplate, "<think>", ""), "</think>", "")
	m.natural = []string{"Just", " 4", "."}
	f := newFakeServer(t, m)
	r, _ := newTestRunner(f)
	q := thinkReq()
	q.Budgets.MaxSteps = budget.Ptr(2)
	rec, err := r.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Answer != "Just 4." || rec.Thinking != "" || len(rec.Warnings) == 0 || !strings.Contains(rec.Warnings[0], "budgets are ignored") {
		t.Errorf("answer %q thinking %q warnings %v", rec.Answer, rec.Thinking, rec.Warnings)
	}
	if rec.Budgets.Think {
		t.Errorf("budgets say think")
	}
}

func TestRunHookAbort(t *testing.T) {
	f := newFakeServer(t, defaultModel())
	r, _ := newTestRunner(f)
	q := thinkReq()
	q.Hooks = []hooks.Hook{hooks.Func(func(_ context.Context, ev *hooks.Event) hooks.Decision {
		if ev.Kind == hooks.KindStep {
			return hooks.Decision{Action: hooks.Abort, Reason: "off topic"}
		}
		return hooks.Decision{}
	})}
	rec, err := r.Run(context.Background(), q)
	if !errors.Is(err, ErrAborted) || !strings.Contains(err.Error(), "off topic") {
		t.Fatalf("err %v", err)
	}
	if rec.CutReason != hooks.ReasonError || rec.Thinking != "Step one." {
		t.Errorf("cut %q thinking %q", rec.CutReason, rec.Thinking)
	}
}

func TestNumCtx(t *testing.T) {
	f := newFakeServer(t, fakeModel{natural: naturalScript, ctxLen: 8192})
	r, _ := newTestRunner(f)
	q := thinkReq()
	q.Budgets.MaxTokens = budget.Ptr(3000)
	if _, err := r.Run(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	reqs := f.reqs()
	if got := reqs[len(reqs)-1].Options["num_ctx"]; got != 4096.0 {
		t.Errorf("num_ctx %v, want 4096", got)
	}
	// Capped by the training context, with a warning.
	q = thinkReq()
	q.Budgets.MaxTokens = budget.Ptr(20000)
	rec, err := r.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	reqs = f.reqs()
	if got := reqs[len(reqs)-1].Options["num_ctx"]; got != 8192.0 || len(rec.Warnings) == 0 {
		t.Errorf("num_ctx %v warnings %v", got, rec.Warnings)
	}
}

// near compares figures computed in different orders.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// testProfiles is a generic profile whose budget message is the runner's
// default, so that the fake server's tests see the tags the templates hold.
func testProfiles() []models.Profile {
	return []models.Profile{{Name: models.GenericName, BudgetMessages: map[string]string{"en": DefaultBudgetMessage}}}
}
