// Package runner runs one generation on a reasoning model through an Ollama
// server: it renders the prompt with the model's own template, streams raw
// output, splits thinking from answer, feeds events to hooks, cuts the
// thinking when a budget is spent, resumes for an answer and records
// everything in a Record.
//
// A run is a sequence of passes, each one streaming request that the
// server itself ends (segment.go, which says why: ollama/ollama#17131):
//
//   - prefill: the rendered prompt with num_predict 1, only for runs whose
//     first pass may be closed before its final chunk (see needPrefill).
//   - first: /api/generate with raw:true, think:false, truncate:false, shift
//     false where the server takes it per request, and logprobs (one entry
//     per sampled token, so token counts are exact). A thinking token budget
//     goes to the server as num_predict; a step budget, and the loop
//     detector once it suspects a loop, send the step separator as a stop
//     sequence; the time budget sizes num_predict from the time left.
//   - segment: the thinking goes on after a pass the server ended at a step
//     boundary or at a segment's token limit, on the cached prefix.
//   - probe: a trial answer at a step boundary (probe.go).
//   - resume: after a cut, the prompt, the output up to the cut point, the
//     budget message and the closing tag, so that the server reuses its
//     cache for everything but the new text.
//   - continue: the server stopped inside the answer.
//   - wait: the model closed its thinking with fewer than MinSteps steps;
//     its closing tag is dropped and "Wait" appended.
//
// Cuts by hooks other than the built-in budgets, and Ctrl-C, close the
// stream; the wedge guard (wedge.go) covers those.
//
// Models whose format Ollama parses in Go (gpt-oss harmony, built-in
// renderers) go through /api/chat instead, and resume with an assistant
// message that holds the trace.
//
// The figures a user sees (ttft_ms, ttfa_ms, wall_ms) count from the
// request; the run's clock (hook events' Elapsed, token_ms, the time
// budget) starts when the first generation pass is sent, metrics.clock_ms
// later (figures.go).
package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/models"
)

// DefaultMaxTokens is the hard cap on generated tokens when a request sets
// none (defined in package budget).
const DefaultMaxTokens = budget.DefaultMaxTokens

// What a run does when a budget cuts its thinking (package budget's).
const (
	OnLimitAnswer = budget.OnLimitAnswer
	OnLimitStop   = budget.OnLimitStop
)

// maxWaitPasses bounds how often MinSteps makes a model think on.
const maxWaitPasses = 16

// waitText is appended to a trace closed too early, after the closing tag
// is dropped, so that the model thinks on.
const waitText = "\n\nWait"

// Runner runs requests against a backend.
type Runner struct {
	Backend Backend
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnToken, when set, receives the visible thinking and answer text as
	// it streams, for display. It is called on the stream's goroutine.
	OnToken func(phase hooks.Phase, text string)
	// Profiles are the family profiles matched against each model; nil
	// means the built-in ones (models.Builtins).
	Profiles []models.Profile
	// StallTimeout is how long a request to a model whose last stream was
	// abandoned may wait for its first chunk before rein unloads the model
	// and tries again (see wedge.go). 0 means REIN_STALL_TIMEOUT or
	// DefaultStallTimeout; a negative value turns the guard off.
	StallTimeout time.Duration
	// Context configures the context policy (context.go): the server's KV
	// cache type, the state that remembers sizes, the memory warning.
	Context ContextConfig

	// The server's version and what it can do, read once (serverCaps,
	// describe.go).
	capsMu sync.Mutex
	caps   *models.ServerCaps
}

// Run runs one request. It always returns a non-nil Record: on an error or
// an interruption the record holds the partial trace, CutReason "error" or
// "interrupted", and Error.
func (r *Runner) Run(ctx context.Context, req *Request) (*Record, error) {
	rn := newRun(r, req)
	err := rn.run(ctx)
	rn.finish(ctx, err)
	if rn.started && ctx.Err() == nil {
		r.hardware(ctx, rn.rec)
	}
	return rn.rec, err
}

// hardwareTimeout bounds the lookups of the hardware figures after a run.
const hardwareTimeout = 3 * time.Second

// hardware fills rec.Hardware with models.Hardware's figures while the
// model is still loaded, when the backend can list models (an *api.Client
// can). A lookup that fails leaves it empty: the figures are extras.
func (r *Runner) hardware(ctx context.Context, rec *Record) {
	c, ok := r.Backend.(models.Client)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, hardwareTimeout)
	defer cancel()
	hw, err := models.Hardware(ctx, c, rec.Model, rec.Metrics.EvalTPS)
	if err != nil {
		return
	}
	b, err := json.Marshal(hw)
	if err != nil {
		return
	}
	m := map[string]any{}
	if json.Unmarshal(b, &m) == nil {
		maps.Copy(rec.Hardware, m)
	}
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// newRunID returns a random run id.
func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// setup asks the server about the model and prepares the run: profile,
// prompt, options, hooks, parser.
func (rn *run) setup(ctx context.Context) error {
	q := rn.req
	if err := q.Validate(); err != nil {
		return err
	}
	b := rn.r.Backend
	if b == nil {
		return errors.New("runner: no backend")
	}
	// Version, digest and description, at once and kept for the process
	// (describe.go).
	d := rn.r.describe(ctx, q.Model)
	if d.verr != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	caps, verr := d.caps, d.verr
	rn.caps = caps
	rn.rec.OllamaVersion = caps.Version
	show, err := d.show, d.err
	if err != nil {
		// A server that is down fails both: the error alone tells it.
		return fmt.Errorf("show %s: %w", q.Model, err)
	}
	if verr != nil {
		rn.warnf("server version: %v", verr)
	}
	rn.rec.ModelDigest = d.digest

	// Profile: the caller's, else the family profile that matches the model,
	// with the budget message in the prompt's language.
	if q.Profile != nil {
		rn.prof = *q.Profile
	} else {
		profiles := rn.r.Profiles
		if profiles == nil {
			profiles = models.Builtins()
		}
		// One inference, in models: the matched profile carries the
		// template's tags (or the chat path) where it sets none.
		rn.prof = FromModelProfile(models.Match(q.Model, show, profiles), rn.lang)
		if show.Renderer != "" {
			rn.prof.Chat = true // the server renders with Go code we cannot run
		}
	}
	p, err := plan(q, show, rn.prof)
	if err != nil {
		return err
	}
	rn.runPlan = p
	for _, w := range p.warnings {
		rn.warnf("%s", w)
	}

	// Messages, as the server would build them.
	system := firstNonEmpty(q.System, rn.prof.System)
	var msgs []api.Message
	if !rn.chat || q.SystemNote != "" {
		// On the chat path the server adds the model's own system prompt
		// when the request has none; a note must not replace it.
		if system == "" {
			system = show.System
		}
	}
	history := q.Messages
	if q.SystemNote != "" {
		if len(history) > 0 && history[0].Role == "system" {
			history = slices.Clone(history)
			history[0].Content = joinParagraphs(history[0].Content, q.SystemNote)
		} else {
			system = joinParagraphs(system, q.SystemNote)
		}
	}
	if system != "" && (len(history) == 0 || history[0].Role != "system") {
		msgs = append(msgs, api.Message{Role: "system", Content: system})
	}
	if !rn.chat {
		msgs = append(msgs, show.Messages...)
	}
	msgs = append(msgs, history...)
	if q.Prompt != "" {
		msgs = append(msgs, api.Message{Role: "user", Content: q.Prompt})
	}
	rn.msgs = msgs

	rn.path = pathway(rawPath{})
	if rn.chat {
		rn.path = chatPath{}
	}
	promptBytes, err := rn.path.render(rn, show.Template)
	if err != nil {
		return err
	}

	// The splitter of steps.
	rn.splitter = hooks.NewSplitter(rn.stepMode)
	if q.ThinkPrefix != "" {
		rn.setPrefix(q.ThinkPrefix)
		promptBytes += len(rn.gen)
	}

	// Options and context size.
	rn.opts = map[string]any{}
	maps.Copy(rn.opts, rn.prof.Options)
	maps.Copy(rn.opts, q.Options)
	if q.Seed != nil {
		rn.opts["seed"] = *q.Seed
	}
	if q.Temperature != nil {
		rn.opts["temperature"] = *q.Temperature
	}
	delete(rn.opts, "num_predict")
	rn.planContext(ctx, show, promptBytes) // context.go
	numCtx := rn.cplan.numCtx
	rn.opts["num_ctx"] = numCtx
	rn.numCtx = numCtx

	// Hooks: the built-in budgets first, then the caller's.
	if rn.thinkOn {
		if rn.lim.MaxSteps > 0 {
			rn.chain = append(rn.chain, hooks.MaxSteps(rn.lim.MaxSteps))
		}
		if rn.lim.MaxThinkTime > 0 {
			rn.chain = append(rn.chain, hooks.MaxThinkTime(rn.lim.MaxThinkTime))
		}
		if rn.lim.Loop > 0 {
			rn.loop = hooks.NewLoopDetector(rn.lim.Loop)
			rn.chain = append(rn.chain, rn.loop)
		}
		// MaxThinkTokens needs no hook: the server stops at num_predict.
	}
	rn.chain = append(rn.chain, q.Hooks...)

	rn.rec.Budgets = Budgets{
		Think:           rn.thinkOn,
		ThinkLevel:      q.ThinkLevel,
		MaxTokens:       rn.maxTokens,
		MaxThinkTokens:  rn.lim.MaxThinkTokens,
		MaxThinkMS:      ms(rn.lim.MaxThinkTime),
		MaxSteps:        rn.lim.MaxSteps,
		MinSteps:        rn.lim.MinSteps,
		MaxAnswerTokens: rn.lim.MaxAnswerTokens,
		Loop:            rn.lim.Loop,
		StepMode:        string(rn.stepMode),
		OnLimit:         rn.onLimit,
		BudgetMessage:   rn.budgetMsg,
		ThinkPrefix:     rn.prefix,
		SystemNote:      q.SystemNote,
		NumCtx:          numCtx,
		NumCtxSource:    rn.cplan.source,
		KVCacheBytes:    rn.cplan.kvBytes(),
		Path:            rn.path.name(),
		Profile:         rn.prof.Name,
		Options:         rn.opts,
	}
	if rn.probing() {
		b := &rn.rec.Budgets
		b.ExitOnAgreement, b.ExitOnConfidence = rn.lim.ExitOnAgreement, rn.lim.ExitOnConfidence
		b.ProbeEvery, b.ProbeTokens = rn.lim.ProbeEvery, rn.lim.ProbeTokens
	}
	return nil
}

// contextLength reads "<arch>.context_length" from a model's info.
func contextLength(info map[string]any) int {
	arch, _ := info["general.architecture"].(string)
	if arch != "" {
		if n := toInt(info[arch+".context_length"]); n > 0 {
			return n
		}
	}
	for k, v := range info {
		if strings.HasSuffix(k, ".context_length") {
			if n := toInt(v); n > 0 {
				return n
			}
		}
	}
	return 0
}

func toInt(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case int64:
		return int(x)
	case uint32:
		return int(x)
	case uint64:
		return int(x)
	case float64:
		return int(x)
	case float32:
		return int(x)
	}
	return 0
}

// modelDigest finds a model's digest in the server's list; "" if absent.
func modelDigest(ctx context.Context, l Lister, name string) string {
	list, err := l.List(ctx)
	if err != nil || list == nil {
		return ""
	}
	want := []string{name}
	if !strings.Contains(name, ":") {
		want = append(want, name+":latest")
	}
	for _, m := range list.Models {
		if slices.Contains(want, m.Name) || slices.Contains(want, m.Model) {
			return m.Digest
		}
	}
	return ""
}

// setPrefix puts the request's thinking prefix after the opening tag, as
// output the model has already produced: into gen, so that every pass
// sends it, and through the parser into the trace. Its steps are sent to
// the hooks when the run starts.
func (rn *run) setPrefix(prefix string) {
	open := rn.prof.ThinkOpen
	st := rn.parser.State()
	switch {
	case rn.chat:
		rn.warnf("a thinking prefix needs the raw path; ignored")
		return
	case !rn.thinkOn || open == "" || st.Answering():
		rn.warnf("thinking is off; the thinking prefix is ignored")
		return
	}
	text := prefix
	if st == StateLookingForOpen {
		text = open + prefix
	}
	rn.gen = append(rn.gen, text...)
	out := rn.parser.Add(text)
	rn.thinking.WriteString(out.Thinking)
	rn.display(hooks.PhaseThinking, out.Thinking)
	rn.prefixSteps = rn.splitter.Write(out.Thinking)
	rn.prefix = prefix
}

// joinParagraphs joins two texts with a blank line; either may be empty.
func joinParagraphs(a, b string) string {
	a, b = strings.TrimRight(a, "\n"), strings.TrimLeft(b, "\n")
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n\n" + b
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
