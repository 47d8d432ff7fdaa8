// Package openai is a runner.Backend for servers that speak the OpenAI
// completions protocol: llama-server, vLLM, SGLang, and Ollama's own /v1.
// rein renders the prompt itself and sends it to /v1/completions, so the
// cut and resume work as on Ollama's raw path: a resume's prompt begins with
// the bytes of the last, and the engine's prefix cache (vLLM's automatic
// prefix caching, SGLang's radix cache, llama-server's cache_prompt) serves
// them. The chat template does not come through this protocol: the client
// gets it from a profile rein knows (ProfileTemplate) or from a file.
package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"

	"github.com/rein-dev/rein/models"
)

// Version is what Client.Version returns: the protocol, not an engine's
// version, which the protocol does not give. models.CapsFor knows it.
const Version = models.OpenAIVersion

// Options configure a Client.
type Options struct {
	// BaseURL is the server: http://host:port, with or without a path
	// ending in /v1 ("http://gpu1:8000", "http://gpu1:8000/v1").
	BaseURL string
	// APIKey, when set, goes as "Authorization: Bearer APIKEY". It is
	// never written in an error or a log.
	APIKey string
	// Template is the chat template (Go template, Ollama's syntax) that the
	// prompt is rendered with; Show returns it. Family names the profile it
	// came from ("" for a file).
	Template string
	Family   string
	// HTTPClient carries the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// Client is the backend.
type Client struct {
	base     *url.URL // ends in /v1
	key      string
	template string
	family   string
	hc       *http.Client
}

// New checks the options and returns a client. It sends nothing.
func New(o Options) (*Client, error) {
	base, err := ParseBaseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: base, key: o.APIKey, template: o.Template, family: o.Family, hc: hc}, nil
}

// ParseBaseURL reads a base URL and returns it ending in /v1.
func ParseBaseURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("no base URL: pass --base-url http://HOST:PORT or set REIN_BASE_URL")
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("base URL %q: want http://HOST:PORT or https://HOST[/PATH]", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("base URL %q: no credentials, query or fragment (the key goes in --api-key-env)", u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(u.Path, "/v1") {
		u.Path += "/v1"
	}
	return u, nil
}

// BaseURL returns the server's URL, ending in /v1.
func (c *Client) BaseURL() *url.URL { u := *c.base; return &u }

// endpoint returns the URL of a path under /v1.
func (c *Client) endpoint(path string) string { return c.base.String() + path }

// Version returns the fixed protocol version.
func (c *Client) Version(context.Context) (string, error) { return Version, nil }

// Chat is not offered: rein sends raw prompts. A model that needs the chat
// path (gpt-oss's harmony format, tools, images, a format) cannot run here.
func (c *Client) Chat(_ context.Context, req *api.ChatRequest, _ api.ChatResponseFunc) error {
	return fmt.Errorf("model %s needs the chat path (its format, tools, images or a response format), which the openai backend does not offer: run it through Ollama, or give a --template that rein can render", req.Model)
}

// modelCard is one entry of /v1/models, with the context lengths vLLM and
// SGLang (max_model_len) and llama-server (meta.n_ctx_train) add.
type modelCard struct {
	ID          string `json:"id"`
	Created     int64  `json:"created"`
	MaxModelLen int    `json:"max_model_len"`
	Meta        *struct {
		NCtxTrain int `json:"n_ctx_train"`
	} `json:"meta"`
}

func (m modelCard) contextLength() int {
	if m.MaxModelLen > 0 {
		return m.MaxModelLen
	}
	if m.Meta != nil {
		return m.Meta.NCtxTrain
	}
	return 0
}

func (c *Client) models(ctx context.Context) ([]modelCard, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint("/models"), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var list struct {
		Data []modelCard `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&list); err != nil {
		return nil, fmt.Errorf("%s: not a model list: %v", c.endpoint("/models"), err)
	}
	return list.Data, nil
}

// List returns the models of /v1/models. They have no digest.
func (c *Client) List(ctx context.Context) (*api.ListResponse, error) {
	cards, err := c.models(ctx)
	if err != nil {
		return nil, err
	}
	out := &api.ListResponse{Models: []api.ListModelResponse{}}
	for _, m := range cards {
		lm := api.ListModelResponse{Name: m.ID, Model: m.ID}
		if m.Created > 0 {
			lm.ModifiedAt = time.Unix(m.Created, 0)
		}
		out.Models = append(out.Models, lm)
	}
	return out, nil
}

// Show describes a model as /api/show would, from what the client was
// given: the template (and so the thinking tags and capability), the
// profile's family, and the context length /v1/models gives. A model that
// the server does not list is not found, unless the server lists one
// model only (llama-server serves one, whatever the request names).
func (c *Client) Show(ctx context.Context, req *api.ShowRequest) (*api.ShowResponse, error) {
	name := req.Model
	if name == "" {
		name = req.Name
	}
	if c.template == "" {
		return nil, fmt.Errorf("the OpenAI completions protocol does not carry %s's chat template: pass --profile NAME (%s) or --template FILE", name, strings.Join(ProfileNames(), ", "))
	}
	cards, err := c.models(ctx)
	if err != nil {
		return nil, err
	}
	var card *modelCard
	for i := range cards {
		if sameModel(cards[i].ID, name) {
			card = &cards[i]
		}
	}
	if card == nil && len(cards) == 1 {
		card = &cards[0]
	}
	if card == nil {
		ids := make([]string, 0, len(cards))
		for _, m := range cards {
			ids = append(ids, m.ID)
		}
		return nil, api.StatusError{StatusCode: http.StatusNotFound, Status: "404 Not Found",
			ErrorMessage: fmt.Sprintf("model %q not found at %s (it serves %s)", name, c.base.Redacted(), strings.Join(ids, ", "))}
	}
	show := &api.ShowResponse{
		Template:     c.template,
		Details:      api.ModelDetails{Family: c.family, Format: "openai"},
		Capabilities: []model.Capability{model.CapabilityCompletion},
		ModelInfo:    map[string]any{"general.architecture": "openai"},
	}
	if c.family != "" {
		show.Details.Families = []string{c.family}
	}
	if open, closing := models.InferTags(c.template); open != "" && closing != "" || templateThinks(c.template) {
		show.Capabilities = append(show.Capabilities, model.CapabilityThinking)
	}
	if n := card.contextLength(); n > 0 {
		show.ModelInfo["openai.context_length"] = float64(n)
	}
	return show, nil
}

// sameModel compares model names as Ollama does, where "m" is "m:latest".
func sameModel(a, b string) bool {
	return a == b || strings.TrimSuffix(a, ":latest") == strings.TrimSuffix(b, ":latest")
}

// templateThinks reports whether a template renders thinking (.Thinking or
// .Think), as Ollama decides the thinking capability.
func templateThinks(t string) bool {
	return strings.Contains(t, ".Thinking") || strings.Contains(t, "$.Think") || strings.Contains(t, ".Think ")
}

// do sends a request with the key and turns a failure into one line. A
// server that cannot be reached gets an error that names the base URL and
// says what to do; one that answers with an error status gets an
// api.StatusError (404 for an unknown model, as Ollama's).
func (c *Client) do(req *http.Request) (*http.Response, error) {
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx := req.Context(); ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// %v, not %w: callers that recognise a refused connection would
		// name Ollama's host; the cause's text stays for the bench's
		// server-down check.
		return nil, fmt.Errorf("cannot reach the OpenAI-compatible server at %s: start it, or check --base-url (%v)", c.base.Redacted(), unwrapURL(err))
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		msg := strings.TrimSpace(string(body))
		var e struct {
			Error   json.RawMessage `json:"error"`
			Message string          `json:"message"`
			Detail  json.RawMessage `json:"detail"`
		}
		if json.Unmarshal(body, &e) == nil {
			switch {
			case len(e.Error) > 0:
				msg = errorText(e.Error)
			case e.Message != "":
				msg = oneLine(e.Message)
			case len(e.Detail) > 0:
				msg = errorText(e.Detail)
			}
		}
		if msg == "" {
			msg = resp.Status
		}
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			msg += ": check the key in the variable --api-key-env names"
		}
		return nil, api.StatusError{StatusCode: resp.StatusCode, Status: resp.Status, ErrorMessage: oneLine(msg)}
	}
	return resp, nil
}

// unwrapURL drops url.Error's method and URL, which the message names.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
