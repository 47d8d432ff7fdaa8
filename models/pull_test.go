package models

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"
)

type fakePuller struct {
	events []api.ProgressResponse
	err    error
}

func (f fakePuller) Pull(ctx context.Context, req *api.PullRequest, fn api.PullProgressFunc) error {
	for _, e := range f.events {
		if err := fn(e); err != nil {
			return err
		}
	}
	return f.err
}

// The messages are the ones ollama 0.17.4 sends.
func TestPullErrors(t *testing.T) {
	const name = "127.0.0.1:5000/library/nope:latest"
	tests := []struct {
		name string
		err  error
		kind string
		text string
	}{
		{"not found", errors.New("pull model manifest: file does not exist"), PullNotFound,
			"pull 127.0.0.1:5000/library/nope:latest: the registry 127.0.0.1:5000 has no such model"},
		{"not found, as a status", api.StatusError{StatusCode: 500, ErrorMessage: "pull model manifest: file does not exist"}, PullNotFound,
			"has no such model"},
		{"registry down", errors.New(`pull model manifest: Get "http://127.0.0.1:5000/v2/library/nope/manifests/latest": dial tcp 127.0.0.1:5000: connect: connection refused`), PullUnreachable,
			"pull 127.0.0.1:5000/library/nope:latest: cannot reach the registry 127.0.0.1:5000: Get "},
		{"plain http", errors.New(`pull model manifest: Get "https://127.0.0.1:5000/v2/library/nope/manifests/latest": http: server gave HTTP response to HTTPS client`), PullPlainHTTP,
			"speaks plain HTTP"},
		{"other", errors.New("digest mismatch, file must be downloaded again"), PullFailed,
			"pull 127.0.0.1:5000/library/nope:latest: digest mismatch, file must be downloaded again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Pull(context.Background(), fakePuller{err: tt.err}, name, true, func(api.ProgressResponse) error { return nil })
			var pe *PullError
			if !errors.As(err, &pe) {
				t.Fatalf("%T %v, want a *PullError", err, err)
			}
			if pe.Kind != tt.kind || !strings.Contains(err.Error(), tt.text) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s %q, want %s %q", pe.Kind, err, tt.kind, tt.text)
			}
		})
	}

	// The server itself unreachable: not a registry problem.
	ue := &url.Error{Op: "Post", URL: "http://127.0.0.1:1/api/pull", Err: errors.New("connection refused")}
	err := Pull(context.Background(), fakePuller{err: ue}, name, false, nil)
	var pe *PullError
	if errors.As(err, &pe) || !errors.As(err, new(*url.Error)) {
		t.Errorf("server down: %v, want the url.Error", err)
	}

	// Cancelled: the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Pull(ctx, fakePuller{err: errors.New("whatever")}, name, false, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}

	// A stream that breaks off without "success" is no success.
	err = Pull(context.Background(), fakePuller{events: []api.ProgressResponse{{Status: "pulling manifest"}, {Status: "pulling abc", Digest: "sha256:abc"}}}, name, false, nil)
	if !errors.Is(err, ErrPullCut) {
		t.Errorf("cut stream: %v, want ErrPullCut", err)
	}
	if err := Pull(context.Background(), fakePuller{events: []api.ProgressResponse{{Status: "success"}}}, name, false, nil); err != nil {
		t.Errorf("success: %v", err)
	}

	// Progress goes to fn, and fn's error stops the pull.
	stop := errors.New("stop")
	var seen int
	err = Pull(context.Background(), fakePuller{events: []api.ProgressResponse{{Status: "a"}, {Status: "b"}}}, name, false,
		func(api.ProgressResponse) error { seen++; return stop })
	if seen != 1 || !errors.Is(err, stop) {
		t.Errorf("fn error: seen %d, err %v", seen, err)
	}
}
