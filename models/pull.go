package models

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"
)

// Puller is the part of *api.Client that pulling needs.
type Puller interface {
	Pull(ctx context.Context, req *api.PullRequest, fn api.PullProgressFunc) error
}

var _ Puller = (*api.Client)(nil)

// What went wrong with a pull, as PullError.Kind says.
const (
	// PullNotFound: the registry has no model by that name.
	PullNotFound = "not-found"
	// PullUnreachable: the Ollama server could not reach the registry.
	PullUnreachable = "unreachable"
	// PullPlainHTTP: the registry speaks plain HTTP and the pull was not
	// allowed to use it (insecure).
	PullPlainHTTP = "plain-http"
	// PullFailed: anything else the server reported.
	PullFailed = "failed"
)

// ErrPullCut means the server's progress stream ended before the pull
// succeeded (the server stopped, or the connection broke).
var ErrPullCut = errors.New("the server ended the pull before it finished")

// PullError is a pull that the Ollama server reported as failed.
type PullError struct {
	Model    string
	Registry string // host[:port]
	Kind     string // PullNotFound, PullUnreachable, PullPlainHTTP or PullFailed
	Msg      string // the server's message
}

func (e *PullError) Error() string {
	switch e.Kind {
	case PullNotFound:
		return fmt.Sprintf("pull %s: the registry %s has no such model", e.Model, e.Registry)
	case PullUnreachable:
		return fmt.Sprintf("pull %s: cannot reach the registry %s: %s", e.Model, e.Registry, e.Msg)
	case PullPlainHTTP:
		return fmt.Sprintf("pull %s: the registry %s speaks plain HTTP, and the pull was not allowed to use it", e.Model, e.Registry)
	}
	return fmt.Sprintf("pull %s: %s", e.Model, e.Msg)
}

// Pull pulls a model through the Ollama server, passing each progress
// message to fn. insecure allows a registry that speaks plain HTTP. The
// server resumes a pull that was stopped: it keeps the parts it has.
//
// A failure the server reports is a *PullError; an error reaching the
// server itself, a cancelled ctx, or an error of fn, is returned as it is
// (wrapped).
func Pull(ctx context.Context, c Puller, name string, insecure bool, fn func(api.ProgressResponse) error) error {
	var fnErr error
	var last string
	err := c.Pull(ctx, &api.PullRequest{Model: name, Insecure: insecure}, func(p api.ProgressResponse) error {
		last = p.Status
		if fn == nil {
			return nil
		}
		fnErr = fn(p)
		return fnErr
	})
	if fnErr != nil && errors.Is(err, fnErr) {
		return err
	}
	// The client ends a stream that breaks off (a cancelled ctx included)
	// without an error: only "success" says the pull finished.
	if ctx.Err() != nil {
		return fmt.Errorf("pull %s: %w", name, ctx.Err())
	}
	if err == nil {
		if last != "success" {
			return fmt.Errorf("pull %s: %w", name, ErrPullCut)
		}
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("pull %s: %w", name, err) // the server itself
	}
	return classifyPull(name, err)
}

func classifyPull(name string, err error) error {
	msg := err.Error()
	var se api.StatusError
	if errors.As(err, &se) && se.ErrorMessage != "" {
		msg = se.ErrorMessage
	}
	msg = strings.TrimPrefix(strings.TrimSpace(msg), "pull model manifest: ")
	e := &PullError{Model: name, Registry: registryOf(name), Kind: PullFailed, Msg: msg}
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "file does not exist"), strings.Contains(low, "manifest unknown"):
		e.Kind = PullNotFound
	case strings.Contains(low, "server gave http response to https client"):
		e.Kind = PullPlainHTTP
	case strings.Contains(low, "insecure protocol http"):
		e.Kind = PullPlainHTTP
	case strings.Contains(low, "dial tcp"), strings.Contains(low, "connection refused"),
		strings.Contains(low, "no such host"), strings.Contains(low, "i/o timeout"),
		strings.Contains(low, "network is unreachable"), strings.Contains(low, "tls:"),
		strings.Contains(low, "connection reset"):
		e.Kind = PullUnreachable
	}
	return e
}

// registryOf returns the registry host of a model name.
func registryOf(name string) string {
	n := model.ParseName(name)
	if n.Host != "" {
		return n.Host
	}
	return "registry.ollama.ai"
}
