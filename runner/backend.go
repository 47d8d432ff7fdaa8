package runner

import (
	"context"

	"github.com/ollama/ollama/api"
)

// Backend is the server a Runner drives. *api.Client satisfies it. It is
// kept narrow so that other servers (an OpenAI-compatible one, say) can be
// adapted to it.
type Backend interface {
	// Generate streams a completion; with Raw set the prompt goes to the
	// model as it is.
	Generate(ctx context.Context, req *api.GenerateRequest, fn api.GenerateResponseFunc) error
	// Chat streams a chat turn.
	Chat(ctx context.Context, req *api.ChatRequest, fn api.ChatResponseFunc) error
	// Show describes a model: template, capabilities, model info.
	Show(ctx context.Context, req *api.ShowRequest) (*api.ShowResponse, error)
	// Version returns the server's version.
	Version(ctx context.Context) (string, error)
}

// Lister is implemented by backends that can list models; the runner uses
// it, when present, to record the model's digest.
type Lister interface {
	List(ctx context.Context) (*api.ListResponse, error)
}

var (
	_ Backend = (*api.Client)(nil)
	_ Lister  = (*api.Client)(nil)
)
