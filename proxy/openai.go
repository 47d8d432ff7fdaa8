package proxy

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/openai"

	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/runner"
)

// serveOpenAIChat serves /v1/chat/completions. The reasoning goes in the
// field Ollama's own endpoint uses, `reasoning`. OpenAI's request has no
// options, so a request sets its budgets with rein_* keys in an `options`
// object of rein's own (which Ollama would ignore).
func (p *Proxy) serveOpenAIChat(w *trackWriter, r *http.Request) {
	body, b, _, herr := p.prepare(w, r, reinOptions)
	if herr != nil {
		writeOpenAIError(w, herr.status, herr.msg)
		return
	}
	var oreq openai.ChatCompletionRequest
	if err := json.Unmarshal(body, &oreq); err != nil {
		writeOpenAIError(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(oreq.Messages) == 0 {
		p.forward(w, r, body) // Ollama says what is wrong
		return
	}
	// OpenAI's max_completion_tokens replaces max_tokens, which Ollama's
	// converter alone reads: the proxy takes it as max_tokens, here and in
	// a request it forwards.
	mct, err := maxCompletionTokens(body)
	if err != nil {
		writeOpenAIError(w, http.StatusBadRequest, err.Error())
		return
	}
	if mct != nil {
		oreq.MaxTokens = mct
	}
	cr, err := openai.FromChatRequest(oreq)
	if err != nil {
		writeOpenAIError(w, http.StatusBadRequest, err.Error())
		return
	}
	if chatPassesThrough(cr) {
		if mct != nil {
			if body, err = withField(body, "max_tokens", *mct); err != nil {
				writeOpenAIError(w, http.StatusBadRequest, err.Error())
				return
			}
		}
		p.forward(w, r, body)
		return
	}
	req, err := chatRequest(cr, b, cr.Options)
	if err != nil {
		writeOpenAIError(w, http.StatusBadRequest, err.Error())
		return
	}
	em := &openaiEmitter{
		w: w, rc: http.NewResponseController(w), stream: oreq.Stream,
		id: "chatcmpl-" + randomID(), model: oreq.Model,
		includeUsage: oreq.StreamOptions != nil && oreq.StreamOptions.IncludeUsage,
	}
	p.serveRun(r, req, em)
}

// maxCompletionTokens reads a chat completion request's
// max_completion_tokens: nil when absent or null, an error when it is not
// a whole number.
func maxCompletionTokens(body []byte) (*int, error) {
	var top struct {
		N *float64 `json:"max_completion_tokens"`
	}
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, errors.New("max_completion_tokens must be a number")
	}
	if top.N == nil {
		return nil, nil
	}
	f := *top.N
	if f != math.Trunc(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("max_completion_tokens must be a whole number, not %v", f)
	}
	n := int(max(min(f, hooks.LimitTokens), -1))
	return &n, nil
}

// withField returns a JSON object's body with one field set, the others
// kept as they were.
func withField(body []byte, key string, v any) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	top[key] = b
	return json.Marshal(top)
}

func randomID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeOpenAIError writes OpenAI's error object, as Ollama's endpoint does.
func writeOpenAIError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(openai.NewError(status, msg))
	w.Write(append(b, '\n'))
}

// openaiChunk and openaiCompletion are OpenAI's objects with rein's field.
type openaiChunk struct {
	openai.ChatCompletionChunk
	Rein *RunInfo `json:"rein,omitempty"`
}

type openaiCompletion struct {
	openai.ChatCompletion
	Rein *RunInfo `json:"rein,omitempty"`
}

// openaiEmitter writes server-sent events, data: {chunk}, ending with
// data: [DONE]; or one chat.completion object when not streaming.
type openaiEmitter struct {
	w            *trackWriter
	rc           *http.ResponseController
	stream       bool
	started      bool
	roleSent     bool
	id, model    string
	includeUsage bool

	thinking, content strings.Builder
}

func (e *openaiEmitter) event(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if !e.started {
		e.started = true
		e.w.Header().Set("Content-Type", "text/event-stream")
		e.w.WriteHeader(http.StatusOK)
	}
	buf := make([]byte, 0, len(b)+8)
	buf = append(append(append(buf, "data: "...), b...), "\n\n"...)
	if _, err := e.w.Write(buf); err != nil {
		return err
	}
	return e.rc.Flush()
}

func (e *openaiEmitter) token(ph hooks.Phase, text string) error {
	msg := api.Message{Role: "assistant"}
	if ph == hooks.PhaseThinking {
		msg.Thinking = text
	} else {
		msg.Content = text
	}
	if !e.stream {
		e.thinking.WriteString(msg.Thinking)
		e.content.WriteString(msg.Content)
		return nil
	}
	return e.chunks(api.ChatResponse{Model: e.model, Message: msg})
}

// chunks sends one response as the stream chunks the api's converter makes
// of it; the first chunk of the stream carries the role.
func (e *openaiEmitter) chunks(r api.ChatResponse) error {
	for _, c := range openai.ToStreamChunks(e.id, r, !e.roleSent) {
		e.roleSent = true
		if err := e.event(c); err != nil {
			return err
		}
	}
	return nil
}

func (e *openaiEmitter) done(rec *runner.Record, m api.Metrics, reason string) error {
	resp := api.ChatResponse{
		Model: e.model, CreatedAt: time.Now().UTC(), Done: true, DoneReason: reason, Metrics: m,
		Message: api.Message{Role: "assistant"},
	}
	if !e.stream {
		resp.Message.Thinking, resp.Message.Content = e.thinking.String(), e.content.String()
		resp.Message.ToolCalls = rec.ToolCalls
		b, err := json.Marshal(openaiCompletion{openai.ToChatCompletion(e.id, resp), runInfo(rec)})
		if err != nil {
			return err
		}
		e.w.Header().Set("Content-Type", "application/json")
		e.w.WriteHeader(http.StatusOK)
		_, err = e.w.Write(append(b, '\n'))
		return err
	}
	sent := len(rec.ToolCalls) > 0
	if sent {
		calls := api.ChatResponse{Model: e.model, Message: api.Message{Role: "assistant", ToolCalls: rec.ToolCalls}}
		if err := e.chunks(calls); err != nil {
			return err
		}
	}
	last := openai.FinishChunk(e.id, resp, sent)
	if err := e.event(openaiChunk{last, runInfo(rec)}); err != nil {
		return err
	}
	if e.includeUsage {
		u := openai.ToUsage(resp)
		last.Usage, last.Choices = &u, []openai.ChunkChoice{}
		if err := e.event(last); err != nil {
			return err
		}
	}
	if _, err := e.w.Write([]byte("data: [DONE]\n\n")); err != nil {
		return err
	}
	return e.rc.Flush()
}

func (e *openaiEmitter) fail(status int, msg string) {
	if !e.started {
		writeOpenAIError(e.w, status, msg)
		return
	}
	e.event(openai.NewError(status, msg))
}
