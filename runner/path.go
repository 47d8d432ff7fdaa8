package runner

import (
	"bytes"
	"context"
	"fmt"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/template"

	"github.com/rein-dev/rein/hooks"
)

// pathway is how a run's passes go to the server and come back. The raw
// path renders the prompt with the model's template and reads the
// thinking tags itself (/api/generate with raw:true); the chat path lets
// Ollama render and parse (/api/chat), for formats parsed in Go (gpt-oss
// harmony, built-in renderers) and for tools, formats and images. A run
// holds one (plan decides which) and sends every pass through it; what
// the paths allow differs (segments, probes, min steps: raw only), and
// those checks read rn.chat.
type pathway interface {
	// name is the record's budgets.path: "raw" or "chat".
	name() string
	// render prepares the first pass from rn.msgs and returns the
	// prompt's size in bytes, for the context policy.
	render(rn *run, src string) (int, error)
	// stream sends one pass of kind with opts and hands each chunk to fn,
	// whose error ends the stream (as with ollama's client).
	stream(ctx context.Context, rn *run, kind string, opts map[string]any, fn func(chunk) error) error
	// state is where the output stands.
	state(rn *run) ParserState
	// resume prepares the answer pass after a cut: the trace, then msg
	// (the budget message; "" for none), then the end of the thinking.
	resume(rn *run, msg string)
	// flush releases held output into the trace.
	flush(rn *run)
}

// chunk is one streamed response, as either path reads it.
type chunk struct {
	// apply hands the chunk to the run (onChunk, onChatChunk).
	apply      func()
	metrics    api.Metrics
	done       bool
	doneReason string
}

// rawPath: rein renders, parses and resumes on the exact bytes.
type rawPath struct{}

func (rawPath) name() string { return "raw" }

func (rawPath) render(rn *run, src string) (int, error) {
	if src == "" {
		src = "{{ .Prompt }}" // Ollama's default
	}
	tmpl, err := template.Parse(src)
	if err != nil {
		return 0, fmt.Errorf("parse template of %s: %w", rn.req.Model, err)
	}
	level := rn.req.ThinkLevel
	if rn.thinkOn && level == "" {
		level = "medium" // as the server does for think: true
	}
	if !rn.thinkOn {
		level = ""
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, template.Values{
		Messages:   rn.msgs,
		Think:      rn.thinkOn,
		ThinkLevel: level,
		IsThinkSet: rn.canThink,
	}); err != nil {
		return 0, fmt.Errorf("render prompt: %w", err)
	}
	rn.prompt = buf.String()
	open, closeTag := rn.prof.ThinkOpen, rn.prof.ThinkClose
	rn.parser = NewParser(open, closeTag, InitialState(rn.prompt, open, closeTag))
	return len(rn.prompt), nil
}

func (rawPath) stream(ctx context.Context, rn *run, _ string, opts map[string]any, fn func(chunk) error) error {
	return rn.generate(ctx, rn.generateRequest(opts), func(resp api.GenerateResponse) error {
		return fn(chunk{
			apply:   func() { rn.onChunk(ctx, resp.Response, resp.Logprobs, resp.Done, resp.DoneReason, resp.Metrics) },
			metrics: resp.Metrics, done: resp.Done, doneReason: resp.DoneReason,
		})
	})
}

func (rawPath) state(rn *run) ParserState { return rn.parser.State() }

func (rawPath) resume(rn *run, msg string) {
	if msg != "" {
		rn.inject(msg)
	}
	rn.gen = append(rn.gen, rn.prof.ThinkClose...)
	rn.parser.ForceClose()
}

func (rawPath) flush(rn *run) {
	out := rn.parser.Flush()
	rn.thinking.WriteString(out.Thinking)
	rn.answer.WriteString(out.Answer)
	rn.display(hooks.PhaseThinking, out.Thinking)
	rn.display(hooks.PhaseAnswer, out.Answer)
}

// chatPath: Ollama renders and parses; the resume is an assistant message
// that holds the trace.
type chatPath struct{}

func (chatPath) name() string { return "chat" }

func (chatPath) render(rn *run, src string) (int, error) {
	n := 0
	for _, m := range rn.msgs {
		n += len(m.Content) + len(m.Thinking) + 32
	}
	rn.parser = NewParser("", "", InitialState("", "", ""))
	rn.chatState = StateLookingForOpen
	if !rn.thinkOn {
		rn.chatState = StateAnswerStart
	}
	return n + len(src)/4, nil
}

func (chatPath) stream(ctx context.Context, rn *run, kind string, opts map[string]any, fn func(chunk) error) error {
	var reply *api.Message
	if kind != PassFirst && kind != PassPrefill {
		// The reply so far: the trace with the budget message after a cut.
		reply = &api.Message{Role: "assistant", Thinking: rn.thinking.String() + rn.chatMsg, Content: rn.answer.String()}
	}
	return rn.chatCall(ctx, rn.chatRequest(opts, reply), func(resp api.ChatResponse) error {
		return fn(chunk{
			apply:   func() { rn.onChatChunk(ctx, resp) },
			metrics: resp.Metrics, done: resp.Done, doneReason: resp.DoneReason,
		})
	})
}

func (chatPath) state(rn *run) ParserState { return rn.chatState }

func (chatPath) resume(rn *run, msg string) {
	rn.chatMsg = joinNewlines(rn.thinking.String(), msg)
	rn.chatState = StateAnswerStart
}

func (chatPath) flush(*run) {}

func (rn *run) generateRequest(opts map[string]any) *api.GenerateRequest {
	f, t := false, true
	return &api.GenerateRequest{
		Model:  rn.req.Model,
		Prompt: rn.prompt + string(rn.gen),
		Raw:    true,
		// Without think:false Ollama turns thinking on for thinking models
		// even in raw mode, and its parser strips the tags.
		Think:     &api.ThinkValue{Value: false},
		Stream:    &t,
		Options:   opts,
		Shift:     rn.shift(),
		Truncate:  &f,
		Logprobs:  rn.logprobs(),
		KeepAlive: rn.req.KeepAlive,
	}
}

// shift is the shift a request sends: false, so that a long trace never
// pushes the question out of the context, except on servers that fix shift
// when the model loads (ServerCaps.LoadFixed), where a shift that differs
// from the loaded runner's reloads the model; there the context size alone
// keeps the question in (see the context policy).
func (rn *run) shift() *bool {
	if rn.caps.LoadFixed {
		return nil
	}
	f := false
	return &f
}

// logprobs says whether to ask for logprobs, which make token counts exact:
// on every server that has them, and on one whose version is unknown.
func (rn *run) logprobs() bool { return rn.caps.Logprobs || !rn.caps.Known }

// chatRequest builds a chat request; reply, when set, is the assistant's
// reply so far, which the server continues.
func (rn *run) chatRequest(opts map[string]any, reply *api.Message) *api.ChatRequest {
	f, t := false, true
	msgs := rn.msgs
	if reply != nil {
		msgs = append(msgs[:len(msgs):len(msgs)], *reply)
	}
	req := &api.ChatRequest{
		Model:     rn.req.Model,
		Messages:  msgs,
		Stream:    &t,
		Options:   opts,
		Shift:     rn.shift(),
		Truncate:  &f,
		Logprobs:  rn.logprobs(),
		KeepAlive: rn.req.KeepAlive,
		Tools:     rn.req.Tools,
		Format:    rn.req.Format,
	}
	switch {
	case rn.thinkOn && rn.req.ThinkLevel != "":
		req.Think = &api.ThinkValue{Value: rn.req.ThinkLevel}
	case rn.thinkOn:
		req.Think = &api.ThinkValue{Value: true}
	case rn.req.Think != nil && *rn.req.Think:
		// asked for, but the model cannot think: leave it unset
	default:
		req.Think = &api.ThinkValue{Value: false}
	}
	if reply != nil && len(rn.req.Format) > 0 && rn.chatState.Answering() {
		// Ollama applies a format only once it has seen the thinking end in
		// the output, which a reply after a cut never shows; with thinking
		// off it constrains the reply from its first token.
		req.Think = &api.ThinkValue{Value: false}
	}
	return req
}
