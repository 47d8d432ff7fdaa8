package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/envconfig"

	"github.com/rein-dev/rein/bench"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/models/scripted"
	"github.com/rein-dev/rein/runner"
)

// benchHost is one Ollama server of the bench.
type benchHost struct {
	url    *url.URL
	client *api.Client
	// backend is an openai+ host's client (backend.go); nil for Ollama.
	backend runner.Backend
}

// connectHosts returns a client for each --host, or for OLLAMA_HOST. With
// private set (the demo suite and no --host) and no server at OLLAMA_HOST,
// it starts a private server, as `rein dev demo` does; stop stops it.
func (o *BenchOptions) connectHosts(ctx context.Context, private bool) ([]benchHost, func(), error) {
	if err := o.Backend.check(); err != nil {
		return nil, nil, err
	}
	if len(o.Hosts) == 0 && private && !o.Backend.openAI() {
		c, stop, err := connect(ctx, o.IO)
		if err != nil {
			return nil, nil, err
		}
		return []benchHost{{url: envconfig.Host(), client: c}}, stop, nil
	}
	var urls []*url.URL
	var openaiHosts []benchHost // openai+http://… hosts (backend.go)
	for _, h := range o.Hosts {
		if oh, ok, err := o.Backend.benchHost(ctx, h); ok || err != nil {
			if err != nil {
				return nil, nil, err
			}
			openaiHosts = append(openaiHosts, oh)
			continue
		}
		u, err := bench.ParseHost(h)
		if err != nil {
			return nil, nil, usageErrorf("--host %q: %v", h, err)
		}
		if slices.ContainsFunc(urls, func(v *url.URL) bool { return v.String() == u.String() }) {
			return nil, nil, usageErrorf("--host %s given twice", u.Host)
		}
		urls = append(urls, u)
	}
	if len(urls) == 0 && len(openaiHosts) == 0 {
		if o.Backend.openAI() {
			h, err := o.Backend.defaultBenchHost(ctx)
			return []benchHost{h}, func() {}, err
		}
		urls = []*url.URL{envconfig.Host()}
	}
	var hosts []benchHost
	for _, u := range urls {
		c, err := guardedClient(u)
		if err != nil {
			return nil, nil, err
		}
		vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err = c.Version(vctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, errInterrupted
			}
			return nil, nil, fmt.Errorf("cannot reach Ollama at %s: start it with `ollama serve`, or pass --host (%v)", u, err)
		}
		hosts = append(hosts, benchHost{url: u, client: c})
	}
	return append(hosts, openaiHosts...), func() {}, nil
}

// prepareModel makes sure a model is on a host, creating a missing demo
// model, and returns its training context (0 when unknown).
func prepareModel(ctx context.Context, ios *IOStreams, h benchHost, model string) (int, error) {
	if h.backend != nil {
		return prepareOpenAIModel(ctx, h, model)
	}
	show, err := h.client.Show(ctx, &api.ShowRequest{Model: model})
	var se api.StatusError
	if errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
		for _, d := range scripted.DemoModels() {
			if d.Name != model {
				continue
			}
			m, berr := scripted.Build(d.Spec)
			if berr != nil {
				return 0, fmt.Errorf("demo model %s: %w", d.Name, berr)
			}
			if cerr := scripted.Create(ctx, h.client, d.Name, m, ""); cerr != nil {
				return 0, cerr
			}
			fmt.Fprintln(ios.ErrOut, dim(ios, "created "+d.Name+" on "+h.url.Host))
			show, err = h.client.Show(ctx, &api.ShowRequest{Model: model})
			break
		}
	}
	if errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
		if ok, cerr := createTiny(ctx, ios, h, model); cerr != nil {
			return 0, cerr
		} else if ok {
			show, err = h.client.Show(ctx, &api.ShowRequest{Model: model})
		}
	}
	if errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
		return 0, modelNotFoundError{Name: model}
	}
	if err != nil {
		if ctx.Err() != nil {
			return 0, errInterrupted
		}
		return 0, fmt.Errorf("model %s on %s: %w", model, h.url.Host, err)
	}
	return models.TrainContext(show.ModelInfo), nil
}
