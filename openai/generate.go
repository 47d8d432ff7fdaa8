package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/ollama/ollama/api"
)

// completionRequest is the body of POST /v1/completions. top_k, min_p and
// repetition_penalty are not OpenAI's but vLLM, SGLang and llama-server
// take them (Ollama's /v1 ignores them).
type completionRequest struct {
	Model         string         `json:"model"`
	Prompt        string         `json:"prompt"`
	Stream        bool           `json:"stream"`
	StreamOptions *streamOptions `json:"stream_options,omitempty"`
	MaxTokens     *int           `json:"max_tokens,omitempty"`
	Stop          []string       `json:"stop,omitempty"`
	Temperature   *float64       `json:"temperature,omitempty"`
	TopP          *float64       `json:"top_p,omitempty"`
	Seed          *int           `json:"seed,omitempty"`
	Logprobs      *int           `json:"logprobs,omitempty"`
	TopK          *int           `json:"top_k,omitempty"`
	MinP          *float64       `json:"min_p,omitempty"`
	Presence      *float64       `json:"presence_penalty,omitempty"`
	Frequency     *float64       `json:"frequency_penalty,omitempty"`
	Repetition    *float64       `json:"repetition_penalty,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// request maps a raw generate request to the protocol's. num_ctx, shift,
// keep_alive and think have no field there and are left out: the engine
// fixes its context when it starts.
func request(req *api.GenerateRequest) completionRequest {
	o := req.Options
	out := completionRequest{
		Model: req.Model, Prompt: req.Prompt, Stream: true,
		StreamOptions: &streamOptions{IncludeUsage: true},
		Temperature:   optFloat(o, "temperature"),
		TopP:          optFloat(o, "top_p"),
		Seed:          optInt(o, "seed"),
		TopK:          optInt(o, "top_k"),
		MinP:          optFloat(o, "min_p"),
		Presence:      optFloat(o, "presence_penalty"),
		Frequency:     optFloat(o, "frequency_penalty"),
		Repetition:    optFloat(o, "repeat_penalty"),
		Stop:          optStrings(o, "stop"),
	}
	if n := optInt(o, "num_predict"); n != nil && *n > 0 {
		out.MaxTokens = n
	}
	if req.Logprobs {
		n := max(req.TopLogprobs, 1)
		out.Logprobs = &n
	}
	return out
}

// Generate streams a completion of a raw prompt. The chunks' text goes to
// fn as it comes, with the logprobs the server sends; the final response
// (Done) has the finish reason and the usage's counts. The durations are
// the server's where it sends them (llama-server's timings), else the
// client's: the prompt from the request to the first token less one mean
// gap between tokens, the generation from there to the last token. An
// error from fn closes the stream and is returned.
//
// A request without a prompt that only sets keep_alive (Ollama's load or
// unload) has no counterpart: it is answered at once.
func (c *Client) Generate(ctx context.Context, req *api.GenerateRequest, fn api.GenerateResponseFunc) error {
	if req.Prompt == "" && !req.Raw {
		return fn(api.GenerateResponse{Model: req.Model, CreatedAt: time.Now(), Done: true, DoneReason: "unload"})
	}
	if !req.Raw {
		return fmt.Errorf("the openai backend sends raw prompts only (rein renders %s's template)", req.Model)
	}
	body, err := json.Marshal(request(req))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // closes the stream when fn stops it
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint("/completions"), bytes.NewReader(body))
	if err != nil {
		return err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "text/event-stream")
	start := time.Now()
	resp, err := c.do(hr)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	s := stream{model: req.Model, start: start, fn: fn}
	return s.read(ctx, resp.Body)
}

// stream turns a completions stream into generate responses.
type stream struct {
	model string
	start time.Time
	fn    api.GenerateResponseFunc

	first, last time.Time
	chunks      int
	finish      string
	usage       *usage
	timings     *timings
}

func (s *stream) read(ctx context.Context, body io.Reader) error {
	ev := newEventReader(body)
	for {
		data, err := ev.next()
		switch {
		case errors.Is(err, errDone):
			return s.done()
		case errors.Is(err, io.EOF):
			if s.finish != "" {
				return s.done() // a server that ends without [DONE]
			}
			return errors.New("the server closed the completions stream before its end")
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("read the completions stream: %v", err)
		}
		c, err := parseChunk(data)
		if err != nil {
			return err
		}
		if err := s.add(c); err != nil {
			return err
		}
	}
}

func (s *stream) add(c chunk) error {
	if c.Finish != "" {
		s.finish = c.Finish
	}
	if c.Usage != nil {
		s.usage = c.Usage
	}
	if c.Timings != nil {
		s.timings = c.Timings
	}
	if c.Text == "" && len(c.Logprobs) == 0 {
		return nil
	}
	now := time.Now()
	if s.chunks == 0 {
		s.first = now
	}
	s.last = now
	s.chunks++
	return s.fn(api.GenerateResponse{Model: s.model, CreatedAt: now, Response: c.Text, Logprobs: c.Logprobs})
}

// done sends the final response.
func (s *stream) done() error {
	end := time.Now()
	r := api.GenerateResponse{Model: s.model, CreatedAt: end, Done: true, DoneReason: s.finish}
	if r.DoneReason == "" {
		r.DoneReason = "stop"
	}
	m := &r.Metrics
	m.TotalDuration = end.Sub(s.start)
	if s.chunks > 0 {
		var gap time.Duration
		if s.chunks > 1 {
			gap = s.last.Sub(s.first) / time.Duration(s.chunks-1)
		}
		m.PromptEvalDuration = max(s.first.Sub(s.start)-gap, 0)
		m.EvalDuration = s.last.Sub(s.first) + gap
	} else {
		m.PromptEvalDuration = m.TotalDuration
	}
	if u := s.usage; u != nil {
		m.PromptEvalCount = u.PromptTokens
		m.EvalCount = u.CompletionTokens
		if d := u.PromptTokensDetails; d != nil && d.CachedTokens != nil {
			n := *d.CachedTokens
			m.PromptEvalCachedCount = &n
		}
	}
	if t := s.timings; t != nil {
		if t.PromptMS > 0 {
			m.PromptEvalDuration = msDuration(t.PromptMS)
		}
		if t.PredictedMS > 0 {
			m.EvalDuration = msDuration(t.PredictedMS)
		}
		if s.usage == nil {
			m.EvalCount = t.PredictedN
			if t.CacheN != nil {
				m.PromptEvalCount = t.PromptN + *t.CacheN
			}
		}
		if m.PromptEvalCachedCount == nil && t.CacheN != nil {
			n := *t.CacheN
			m.PromptEvalCachedCount = &n
		}
	}
	return s.fn(r)
}

func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

// The options' values come as JSON gives them (float64), as Go code sets
// them (int, float32), or as strings.

func optFloat(o map[string]any, k string) *float64 {
	var f float64
	switch v := o[k].(type) {
	case float64:
		f = v
	case float32:
		f = float64(v)
	case int:
		f = float64(v)
	case int64:
		f = float64(v)
	case json.Number:
		x, err := v.Float64()
		if err != nil {
			return nil
		}
		f = x
	case string:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil
		}
		f = x
	default:
		return nil
	}
	return &f
}

func optInt(o map[string]any, k string) *int {
	f := optFloat(o, k)
	if f == nil {
		return nil
	}
	n := int(*f)
	return &n
}

func optStrings(o map[string]any, k string) []string {
	switch v := o[k].(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
