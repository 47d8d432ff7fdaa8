package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strings"
	"unicode"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/consensus"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/runner"
)

// RunInfo is the `rein` field of an intercepted run's final chunk: what
// rein did to the run.
type RunInfo struct {
	RunID string `json:"run_id"`
	// CutReason is one of the hooks.Reason* values; "" when the thinking was
	// not cut.
	CutReason string `json:"cut_reason"`
	// Steps is the number of thinking steps that finished.
	Steps int `json:"steps"`
	// ResumeEvalTokens is how many prompt tokens the resume after a cut
	// made the server evaluate (see runner.Metrics).
	ResumeEvalTokens int `json:"resume_eval_tokens"`
	// Path is "raw" or "chat": how the runner drove the model.
	Path     string   `json:"path"`
	Warnings []string `json:"warnings,omitempty"`
}

func runInfo(rec *runner.Record) *RunInfo {
	return &RunInfo{
		RunID:            rec.RunID,
		CutReason:        rec.CutReason,
		Steps:            rec.Steps,
		ResumeEvalTokens: rec.Metrics.ResumeEvalTokens,
		Path:             rec.Budgets.Path,
		Warnings:         rec.Warnings,
	}
}

// emitter writes a run in one endpoint's format.
type emitter interface {
	// token writes (streaming) or keeps (not streaming) visible text.
	token(phase hooks.Phase, text string) error
	// done writes the end of a finished run.
	done(rec *runner.Record, m api.Metrics, doneReason string) error
	// fail reports an error: as the answer when nothing was written yet,
	// else as a last stream line.
	fail(status int, msg string)
}

// serveRun runs req through the runner and writes it with em.
func (p *Proxy) serveRun(r *http.Request, req *runner.Request, em emitter) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	var werr error
	answering := false
	rr := &runner.Runner{Backend: p.runs, Profiles: p.cfg.Profiles, OnToken: func(ph hooks.Phase, text string) {
		if werr != nil {
			return
		}
		if ph == hooks.PhaseAnswer && !answering {
			// The chat path's resume keeps the white space after the
			// thinking; Ollama's parser, like the raw path's, eats it.
			if text = strings.TrimLeftFunc(text, unicode.IsSpace); text == "" {
				return
			}
			answering = true
		}
		if werr = em.token(ph, text); werr != nil {
			cancel() // the client is gone: stop generating for nobody
		}
	}}
	ended := p.queue.Begin()
	rec, err := rr.Run(ctx, req)
	if w := p.queue.Warning(rec, ended(), "set OLLAMA_NUM_PARALLEL where the server starts to the number of clients at once"); w != "" {
		p.logf("rein proxy: %s", w) // once (runner/queue.go)
	}
	if p.cfg.OnRecord != nil {
		p.cfg.OnRecord(rec)
	}
	if err != nil {
		if werr != nil || r.Context().Err() != nil {
			return
		}
		em.fail(p.errStatus(err))
		return
	}
	// The final chunk's figures are the record's (runner.Metrics): the
	// same sums as rein run --verbose shows.
	em.done(rec, rec.OllamaMetrics(), doneReason(rec))
}

// doneReason keeps Ollama's values: the last pass's reason, or "length"
// when a budget ended the run with no answer (--on-limit stop).
func doneReason(rec *runner.Record) string {
	switch {
	case rec.DoneReason != "":
		return rec.DoneReason
	case rec.CutReason != "":
		return "length"
	}
	return "stop"
}

// optionName names a budget in the proxy's errors: its rein_* option, or
// its flag for those a request cannot set.
func optionName(n budget.Name) string {
	if n.Option != "" {
		return "option " + n.Option
	}
	return "--" + n.Flag
}

// newRequest builds a runner request from an Ollama request's common
// fields. Options lose num_predict, which becomes the hard cap.
func newRequest(model string, b Budgets, opts map[string]any, think *api.ThinkValue, keepAlive *api.Duration) *runner.Request {
	req := &runner.Request{
		Model:     model,
		KeepAlive: keepAlive,
		Budgets:   b,
		ProbeKey:  consensus.Normalise,
	}
	if think != nil {
		req.Think = budget.Ptr(think.Bool())
	}
	if think.IsString() {
		req.ThinkLevel = think.String()
	}
	if len(opts) > 0 {
		req.Options = maps.Clone(opts)
		if np, ok := numPredict(req.Options["num_predict"]); ok {
			req.Budgets.MaxTokens = budget.Ptr(min(req.Budgets.Resolve().MaxTokens, np))
		}
		delete(req.Options, "num_predict")
	}
	return req
}

// numPredict reads a request's num_predict as a cap of 1 token or more: a
// JSON number (float64), or an int as the OpenAI endpoint's max_tokens
// becomes. Zero, negative (Ollama's "no limit") and fractions below 1 set
// no cap; a number past the token limit is the limit, so it cannot overflow.
func numPredict(v any) (int, bool) {
	f, ok := budget.Number(v)
	if !ok || !(f >= 1) { // NaN too
		return 0, false
	}
	return int(min(f, hooks.LimitTokens)), true
}

// decodeError describes a body that is not the JSON object expected, in
// the words of encoding/json, as Ollama does.
func decodeError(err error) *httpError {
	return &httpError{http.StatusBadRequest, err.Error()}
}

// reinOptions reads the options object of a request body, for its rein_*
// keys. A body without options has none.
func reinOptions(body []byte) (map[string]any, error) {
	var top struct {
		Options json.RawMessage `json:"options"`
	}
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, err
	}
	var opts map[string]any
	if len(top.Options) > 0 && string(top.Options) != "null" {
		if err := json.Unmarshal(top.Options, &opts); err != nil {
			return nil, errors.New("options must be an object")
		}
	}
	return opts, nil
}

// withOptions returns body with its options object replaced by opts,
// every other field kept as it was.
func withOptions(body []byte, opts map[string]any) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, err
	}
	o, err := json.Marshal(opts)
	if err != nil {
		return nil, err
	}
	top["options"] = o
	return json.Marshal(top)
}

// hasReinKeys reports whether opts holds any rein_* key.
func hasReinKeys(opts map[string]any) bool {
	for k := range opts {
		if strings.HasPrefix(k, OptionPrefix) {
			return true
		}
	}
	return false
}

// prepare reads a request's body, takes the budgets out of its options and
// returns the body to forward should the request pass through.
func (p *Proxy) prepare(w http.ResponseWriter, r *http.Request, optsOf func([]byte) (map[string]any, error)) (body []byte, b Budgets, opts map[string]any, herr *httpError) {
	body, herr = p.readBody(w, r)
	if herr != nil {
		return nil, b, nil, herr
	}
	opts, err := optsOf(body)
	if err != nil {
		return nil, b, nil, decodeError(err)
	}
	b = p.cfg.Budgets
	if hasReinKeys(opts) {
		var own Budgets
		if own, err = takeOptions(Budgets{}, opts); err != nil {
			return nil, b, nil, &httpError{http.StatusBadRequest, err.Error()}
		}
		b = own.Or(b) // the request's own budgets win
		if err := b.Validate(optionName); err != nil {
			return nil, b, nil, &httpError{http.StatusBadRequest, err.Error()}
		}
		if body, err = withOptions(body, opts); err != nil {
			return nil, b, nil, decodeError(err)
		}
	}
	return body, b, opts, nil
}

// serveChat serves /api/chat.
func (p *Proxy) serveChat(w *trackWriter, r *http.Request) {
	body, b, opts, herr := p.prepare(w, r, reinOptions)
	if herr != nil {
		writeError(w, herr.status, herr.msg)
		return
	}
	var cr api.ChatRequest
	if err := json.Unmarshal(body, &cr); err != nil {
		herr := decodeError(err)
		writeError(w, herr.status, herr.msg)
		return
	}
	if chatPassesThrough(&cr) {
		p.forward(w, r, body)
		return
	}
	req, err := chatRequest(&cr, b, opts)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	em := &ollamaEmitter{lw: newLineWriter(w, cr.Stream), model: cr.Model, chat: true}
	p.serveRun(r, req, em)
}

// chatPassesThrough reports whether a chat request goes upstream as it is:
// it has nothing for the runner to do (think:false, no messages: a load or
// unload), or asks for what the runner cannot give (logprobs, the rendered
// template, the continuation of an assistant message).
func chatPassesThrough(cr *api.ChatRequest) bool {
	if cr.Think != nil && !cr.Think.Bool() {
		return true
	}
	n := len(cr.Messages)
	return n == 0 || cr.DebugRenderOnly || cr.Logprobs || cr.TopLogprobs > 0 || cr.Messages[n-1].Role == "assistant"
}

func chatRequest(cr *api.ChatRequest, b Budgets, opts map[string]any) (*runner.Request, error) {
	req := newRequest(cr.Model, b, opts, cr.Think, cr.KeepAlive)
	req.Messages = cr.Messages
	req.Tools = cr.Tools
	req.Format = cr.Format
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return req, nil
}

// serveGenerate serves /api/generate.
func (p *Proxy) serveGenerate(w *trackWriter, r *http.Request) {
	body, b, opts, herr := p.prepare(w, r, reinOptions)
	if herr != nil {
		writeError(w, herr.status, herr.msg)
		return
	}
	var gr api.GenerateRequest
	if err := json.Unmarshal(body, &gr); err != nil {
		herr := decodeError(err)
		writeError(w, herr.status, herr.msg)
		return
	}
	if generatePassesThrough(&gr) {
		p.forward(w, r, body)
		return
	}
	req := newRequest(gr.Model, b, opts, gr.Think, gr.KeepAlive)
	req.System = gr.System
	req.Format = gr.Format
	if len(gr.Images) > 0 {
		req.Messages = []api.Message{{Role: "user", Content: gr.Prompt, Images: gr.Images}}
	} else {
		req.Prompt = gr.Prompt
	}
	if err := req.Validate(); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	em := &ollamaEmitter{lw: newLineWriter(w, gr.Stream), model: gr.Model}
	p.serveRun(r, req, em)
}

// generatePassesThrough reports whether a generate request goes upstream
// as it is: raw prompts, templates and suffixes of the client's own, the
// old context array, think:false, an empty prompt (a load or unload),
// logprobs, or the rendered template.
func generatePassesThrough(gr *api.GenerateRequest) bool {
	if gr.Think != nil && !gr.Think.Bool() {
		return true
	}
	return gr.Raw || gr.Template != "" || gr.Suffix != "" || len(gr.Context) > 0 || gr.Prompt == "" ||
		gr.DebugRenderOnly || gr.Logprobs || gr.TopLogprobs > 0
}
