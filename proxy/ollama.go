package proxy

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/runner"
)

// lineWriter writes a response: JSON lines, flushed one by one, when
// streaming; one JSON object otherwise. The status and headers go out with
// the first write, so that an error before it gets its own status code.
type lineWriter struct {
	w       *trackWriter
	rc      *http.ResponseController
	stream  bool
	ctype   string
	started bool
}

func newLineWriter(w *trackWriter, stream *bool) *lineWriter {
	lw := &lineWriter{w: w, rc: http.NewResponseController(w), stream: stream == nil || *stream}
	lw.ctype = "application/json; charset=utf-8"
	if lw.stream {
		lw.ctype = "application/x-ndjson"
	}
	return lw
}

func (lw *lineWriter) write(b []byte) error {
	if !lw.started {
		lw.started = true
		lw.w.Header().Set("Content-Type", lw.ctype)
		lw.w.WriteHeader(http.StatusOK)
	}
	if _, err := lw.w.Write(b); err != nil {
		return err
	}
	if lw.stream {
		return lw.rc.Flush()
	}
	return nil
}

func (lw *lineWriter) json(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return lw.write(append(b, '\n'))
}

// fail writes an error as the answer, or as a last line once streaming.
func (lw *lineWriter) fail(status int, msg string) {
	if !lw.started {
		writeError(lw.w, status, msg)
		return
	}
	lw.json(map[string]string{"error": msg})
}

// chatChunk and generateChunk are Ollama's responses with rein's field.
type chatChunk struct {
	api.ChatResponse
	Rein *RunInfo `json:"rein,omitempty"`
}

type generateChunk struct {
	api.GenerateResponse
	Rein *RunInfo `json:"rein,omitempty"`
}

// ollamaEmitter writes /api/chat (chat) or /api/generate responses.
type ollamaEmitter struct {
	lw    *lineWriter
	model string
	chat  bool
	// The text so far, for a response that is not streamed.
	thinking, content strings.Builder
}

func (e *ollamaEmitter) token(ph hooks.Phase, text string) error {
	if !e.lw.stream {
		if ph == hooks.PhaseThinking {
			e.thinking.WriteString(text)
		} else {
			e.content.WriteString(text)
		}
		return nil
	}
	if ph == hooks.PhaseThinking {
		return e.lw.json(e.chunk(text, "", nil))
	}
	return e.lw.json(e.chunk("", text, nil))
}

func (e *ollamaEmitter) chunk(thinking, content string, calls []api.ToolCall) any {
	now := time.Now().UTC()
	if e.chat {
		return &chatChunk{ChatResponse: api.ChatResponse{
			Model: e.model, CreatedAt: now,
			Message: api.Message{Role: "assistant", Content: content, Thinking: thinking, ToolCalls: calls},
		}}
	}
	return &generateChunk{GenerateResponse: api.GenerateResponse{
		Model: e.model, CreatedAt: now, Response: content, Thinking: thinking, ToolCalls: calls,
	}}
}

func (e *ollamaEmitter) done(rec *runner.Record, m api.Metrics, reason string) error {
	var last any
	if e.lw.stream {
		if len(rec.ToolCalls) > 0 {
			if err := e.lw.json(e.chunk("", "", rec.ToolCalls)); err != nil {
				return err
			}
		}
		last = e.chunk("", "", nil)
	} else {
		last = e.chunk(e.thinking.String(), e.content.String(), rec.ToolCalls)
	}
	info := runInfo(rec)
	switch c := last.(type) {
	case *chatChunk:
		c.Done, c.DoneReason, c.Metrics, c.Rein = true, reason, m, info
	case *generateChunk:
		c.Done, c.DoneReason, c.Metrics, c.Rein = true, reason, m, info
	}
	return e.lw.json(last)
}

func (e *ollamaEmitter) fail(status int, msg string) { e.lw.fail(status, msg) }
