package openai

// The stream of /v1/completions: server-sent events whose data lines hold
// JSON chunks, ended by "data: [DONE]". The parser reads the fields that
// vLLM, SGLang, llama-server and Ollama's /v1 send, and ignores the rest.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ollama/ollama/api"
)

// maxEvent bounds one event's data: a chunk with logprobs is a few
// kilobytes; anything near this is not a completions stream.
const maxEvent = 8 << 20

// errDone is what next returns at "data: [DONE]".
var errDone = errors.New("[DONE]")

// eventReader reads the data of server-sent events.
type eventReader struct {
	r   *bufio.Reader
	buf bytes.Buffer
}

func newEventReader(r io.Reader) *eventReader {
	return &eventReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the data of the next event that has some: its data lines
// joined by newlines. It returns errDone at [DONE] and io.EOF at the end of
// a stream that has no event left.
func (e *eventReader) next() ([]byte, error) {
	e.buf.Reset()
	lines := 0
	for {
		line, err := e.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) && lines > 0 {
				break // the last event, without its blank line
			}
			return nil, err
		}
		if len(line) == 0 {
			if lines > 0 {
				break
			}
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		if string(field) != "data" {
			continue // a comment (":"), event:, id:, retry:
		}
		value = bytes.TrimPrefix(value, []byte(" "))
		if lines > 0 {
			e.buf.WriteByte('\n')
		}
		if e.buf.Len()+len(value) > maxEvent {
			return nil, fmt.Errorf("stream event over %d bytes", maxEvent)
		}
		e.buf.Write(value)
		lines++
	}
	data := e.buf.Bytes()
	if string(bytes.TrimSpace(data)) == "[DONE]" {
		return nil, errDone
	}
	return data, nil
}

// readLine returns one line without its end (\n, \r\n or \r alone is not
// split: servers end lines with \n).
func (e *eventReader) readLine() ([]byte, error) {
	var line []byte
	for {
		part, err := e.r.ReadSlice('\n')
		if len(line)+len(part) > maxEvent {
			return nil, fmt.Errorf("stream line over %d bytes", maxEvent)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			line = append(line, part...)
			continue
		}
		if err != nil && (len(part) == 0 && len(line) == 0 || !errors.Is(err, io.EOF)) {
			return nil, err
		}
		if line != nil {
			line = append(line, part...)
		} else {
			line = part
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		return line, nil
	}
}

// chunk is what one event says, in rein's terms.
type chunk struct {
	Text     string
	Logprobs []api.Logprob
	// Finish is the choice's finish_reason ("" while the text goes on).
	Finish string
	// Usage is set on the chunk that carries non-zero usage (Ollama's /v1
	// sends an empty usage object on every chunk).
	Usage *usage
	// Timings are llama-server's, in milliseconds, when it sends them.
	Timings *timings
}

type usage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	PromptTokensDetails *struct {
		CachedTokens *int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

type timings struct {
	PromptN     int     `json:"prompt_n"`
	PromptMS    float64 `json:"prompt_ms"`
	PredictedN  int     `json:"predicted_n"`
	PredictedMS float64 `json:"predicted_ms"`
	CacheN      *int    `json:"cache_n"`
}

type wireChunk struct {
	Choices []struct {
		Index        int             `json:"index"`
		Text         string          `json:"text"`
		FinishReason *string         `json:"finish_reason"`
		Logprobs     json.RawMessage `json:"logprobs"`
	} `json:"choices"`
	Usage   *usage          `json:"usage"`
	Timings *timings        `json:"timings"`
	Error   json.RawMessage `json:"error"`
}

// parseChunk reads one event's data. An error object in the stream (vLLM
// and llama-server send one when generation fails midway) is an error.
func parseChunk(data []byte) (chunk, error) {
	var w wireChunk
	if err := json.Unmarshal(data, &w); err != nil {
		return chunk{}, fmt.Errorf("stream chunk is not JSON: %v", err)
	}
	if len(w.Error) > 0 && string(w.Error) != "null" {
		return chunk{}, fmt.Errorf("server error in the stream: %s", errorText(w.Error))
	}
	var c chunk
	for _, ch := range w.Choices {
		if ch.Index != 0 {
			continue // rein asks for one choice
		}
		c.Text += ch.Text
		if ch.FinishReason != nil {
			c.Finish = *ch.FinishReason
		}
		lps, err := parseLogprobs(ch.Logprobs)
		if err != nil {
			return chunk{}, err
		}
		c.Logprobs = append(c.Logprobs, lps...)
	}
	if u := w.Usage; u != nil && (u.PromptTokens > 0 || u.CompletionTokens > 0) {
		c.Usage = u
	}
	c.Timings = w.Timings
	return c, nil
}

// parseLogprobs reads a choice's logprobs in either shape: the completions
// one (vLLM, SGLang, llama-server: parallel lists of tokens, logprobs and
// top maps) or the chat one (Ollama's /v1, newer llama-server: content, a
// list of token objects).
func parseLogprobs(raw json.RawMessage) ([]api.Logprob, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var lp struct {
		Tokens        []string             `json:"tokens"`
		TokenLogprobs []*float64           `json:"token_logprobs"`
		TopLogprobs   []map[string]float64 `json:"top_logprobs"`
		Content       []api.Logprob        `json:"content"`
	}
	if err := json.Unmarshal(raw, &lp); err != nil {
		return nil, fmt.Errorf("stream chunk: logprobs: %v", err)
	}
	if len(lp.Content) > 0 {
		return lp.Content, nil
	}
	out := make([]api.Logprob, 0, len(lp.Tokens))
	for i, tok := range lp.Tokens {
		l := api.Logprob{TokenLogprob: api.TokenLogprob{Token: tok}}
		if i < len(lp.TokenLogprobs) && lp.TokenLogprobs[i] != nil {
			l.Logprob = *lp.TokenLogprobs[i]
		}
		if i < len(lp.TopLogprobs) {
			for t, v := range lp.TopLogprobs[i] {
				l.TopLogprobs = append(l.TopLogprobs, api.TokenLogprob{Token: t, Logprob: v})
			}
		}
		out = append(out, l)
	}
	return out, nil
}

// errorText reads an OpenAI error object ({"message": …}), an Ollama one
// (a string), or anything else as it is, on one line.
func errorText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return oneLine(s)
	}
	var o struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &o) == nil && o.Message != "" {
		return oneLine(o.Message)
	}
	return oneLine(string(raw))
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i]) + " …"
	}
	if len(s) > 300 {
		s = s[:300] + " …"
	}
	return s
}
