package main

// The server's protocol: Ollama's API (the default), or the OpenAI
// completions protocol of llama-server, vLLM and SGLang (package openai).
// rein run, rein bench and rein proxy's upstream take the same flags; a
// bench host written openai+http://… is such a server beside Ollama hosts.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/spf13/pflag"

	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/openai"
	"github.com/rein-dev/rein/runner"
)

// BackendOptions are the flags that choose the server's protocol.
type BackendOptions struct {
	// Kind is --backend: "ollama" (also "") or "openai".
	Kind string
	// BaseURL is --base-url, else $REIN_BASE_URL: the openai server.
	BaseURL string
	// APIKeyEnv names the variable that holds the key (--api-key-env).
	APIKeyEnv string
	// Profile names a family whose template rein renders (--profile);
	// Template is a template file in Ollama's syntax (--template).
	Profile, Template string
}

// The values of --backend, and the variable --base-url defaults to.
const (
	backendOllama = "ollama"
	backendOpenAI = "openai"
	envBaseURL    = "REIN_BASE_URL"
	// openAIHostPrefix marks a bench --host that speaks the OpenAI protocol.
	openAIHostPrefix = "openai+"
)

// addFlags defines the flags on f.
func (b *BackendOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&b.Kind, "backend", backendOllama, "the server's protocol: ollama, or openai (the OpenAI completions protocol of llama-server, vLLM, SGLang)")
	f.StringVar(&b.BaseURL, "base-url", "", "the openai backend's server, http://HOST:PORT (default $"+envBaseURL+")")
	f.StringVar(&b.APIKeyEnv, "api-key-env", "", "the variable that holds the openai server's key, sent as a bearer token")
	f.StringVar(&b.Profile, "profile", "", "openai backend: the family whose chat template rein renders ("+strings.Join(openai.ProfileNames(), ", ")+")")
	f.StringVar(&b.Template, "template", "", "openai backend: a chat template file in Ollama's syntax (thinking tags inferred from it)")
}

// check says, before any server is asked, what is wrong with the flags.
func (b *BackendOptions) check() error {
	switch b.Kind {
	case "", backendOllama:
		if b.BaseURL != "" || b.APIKeyEnv != "" {
			return usageErrorf("--base-url and --api-key-env go with --backend openai")
		}
	case backendOpenAI:
	default:
		return usageErrorf("--backend %q: want ollama or openai", b.Kind)
	}
	if b.Profile != "" && b.Template != "" {
		return usageErrorf("--profile and --template both give the chat template: pass one")
	}
	return nil
}

func (b *BackendOptions) openAI() bool { return b.Kind == backendOpenAI }

// connect returns rein run's backend: the openai server with --backend
// openai, else ollama().
func (b *BackendOptions) connect(ollama func() (*api.Client, error)) (runner.Backend, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	if !b.openAI() {
		return ollama()
	}
	base := b.BaseURL
	if base == "" {
		base = os.Getenv(envBaseURL)
	}
	return b.client(base)
}

// client returns an openai client of the server at base, with the key
// and the template the flags give.
func (b *BackendOptions) client(base string) (*openai.Client, error) {
	if strings.TrimSpace(base) == "" {
		return nil, usageErrorf("--backend openai needs the server: pass --base-url http://HOST:PORT or set %s", envBaseURL)
	}
	var tmpl, family string
	switch {
	case b.Profile != "":
		t, err := openai.ProfileTemplate(b.Profile)
		if err != nil {
			return nil, usageErrorf("--profile: %v", err)
		}
		tmpl, family = t, strings.ToLower(b.Profile)
	case b.Template != "":
		data, err := os.ReadFile(b.Template)
		if err != nil {
			return nil, usageErrorf("--template: %v", errors.Unwrap(err))
		}
		tmpl = string(data)
	default:
		return nil, usageErrorf("the openai backend needs the model's chat template, which the protocol does not carry: pass --profile NAME (%s) or --template FILE", strings.Join(openai.ProfileNames(), ", "))
	}
	key := ""
	if b.APIKeyEnv != "" {
		key = os.Getenv(b.APIKeyEnv)
		if key == "" {
			return nil, usageErrorf("--api-key-env %s: the variable is not set: export it with the server's key", b.APIKeyEnv)
		}
	}
	t, err := models.TimeoutsFromEnv()
	if err != nil {
		return nil, err
	}
	c, err := openai.New(openai.Options{BaseURL: base, APIKey: key, Template: tmpl, Family: family, HTTPClient: models.HTTPClient(t)})
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}

// benchHost reads a bench --host written openai+http://HOST:PORT[/PATH]:
// ok is false for any other host. The server must answer /v1/models.
func (b *BackendOptions) benchHost(ctx context.Context, spec string) (h benchHost, ok bool, err error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(spec), openAIHostPrefix)
	if !ok {
		return benchHost{}, false, nil
	}
	c, err := b.client(rest)
	if err != nil {
		return benchHost{}, true, fmt.Errorf("--host %s: %w", spec, err)
	}
	if err := pingOpenAI(ctx, c); err != nil {
		return benchHost{}, true, err
	}
	return benchHost{url: c.BaseURL(), backend: c}, true, nil
}

// defaultBenchHost is the bench's host with --backend openai and no
// --host: the --base-url server.
func (b *BackendOptions) defaultBenchHost(ctx context.Context) (benchHost, error) {
	base := b.BaseURL
	if base == "" {
		base = os.Getenv(envBaseURL)
	}
	h, _, err := b.benchHost(ctx, openAIHostPrefix+base)
	return h, err
}

// pingOpenAI asks the server for its models, as the bench asks an Ollama
// host its version before it starts.
func pingOpenAI(ctx context.Context, c *openai.Client) error {
	vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.List(vctx); err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return err
	}
	return nil
}

// runnerBackend is what the bench's runner drives on the host.
func (h benchHost) runnerBackend() runner.Backend {
	if h.backend != nil {
		return h.backend
	}
	return h.client
}

// label names the host in the records: host:port for Ollama,
// openai+URL for the openai backend.
func (h benchHost) label() string {
	if h.backend != nil {
		return openAIHostPrefix + h.url.Redacted()
	}
	return h.url.Host
}

// prepareOpenAIModel checks that an openai host serves model and returns
// its context length (0 when the server does not say). Nothing is created
// there.
func prepareOpenAIModel(ctx context.Context, h benchHost, model string) (int, error) {
	show, err := h.backend.Show(ctx, &api.ShowRequest{Model: model})
	var se api.StatusError
	switch {
	case errors.As(err, &se) && se.StatusCode == http.StatusNotFound:
		return 0, fmt.Errorf("model %s is not served at %s: %v", model, h.label(), se.ErrorMessage)
	case err != nil && ctx.Err() != nil:
		return 0, errInterrupted
	case err != nil:
		return 0, fmt.Errorf("model %s on %s: %w", model, h.label(), err)
	}
	return models.TrainContext(show.ModelInfo), nil
}

// proxyUpstream returns rein proxy's upstream and the backend its runs go
// to: with --backend openai, the --base-url server (its URL without /v1,
// where what passes through goes) and its openai client; else up, and nil
// (the proxy's own Ollama client). upstreamFlag is --upstream as given.
func (b *BackendOptions) proxyUpstream(up *url.URL, upstreamFlag string) (*url.URL, runner.Backend, error) {
	if err := b.check(); err != nil {
		return nil, nil, err
	}
	if !b.openAI() {
		return up, nil, nil
	}
	if strings.TrimSpace(upstreamFlag) != "" {
		return nil, nil, usageErrorf("--upstream names an Ollama server; with --backend openai the server is --base-url")
	}
	base := b.BaseURL
	if base == "" {
		base = os.Getenv(envBaseURL)
	}
	c, err := b.client(base)
	if err != nil {
		return nil, nil, err
	}
	u := c.BaseURL()
	u.Path = strings.TrimSuffix(u.Path, "/v1")
	return u, c, nil
}
