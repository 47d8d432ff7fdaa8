package models

// Clients with a bound on every wait: the one constructor rein's commands,
// the proxy's upstream and the bench hosts use for the server.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/envconfig"
)

// Timeouts bound the waits of one request to the server. A zero field means
// no limit.
type Timeouts struct {
	// Connect bounds the connection: the dial and a TLS handshake.
	Connect time.Duration
	// Describe bounds the wait for the headers of a short request
	// (version, tags, show, ps, delete, copy, blobs): the server answers
	// those in milliseconds.
	Describe time.Duration
	// Stream bounds the wait for the headers of a request that loads a
	// model or streams (generate, chat, embed, pull, push, create). Ollama
	// sends a generation's headers with its first chunk, after it loaded
	// the model, waited for a free slot (behind other clients' requests
	// when OLLAMA_NUM_PARALLEL is lower than the requests at once) and
	// evaluated the prompt: that can take minutes.
	Stream time.Duration
	// Idle bounds the silence between two reads of a response's body, once
	// its headers came: a stream that stops sending mid-way. Pull, push and
	// create are left out: they have long silent phases (a digest's
	// verification, a quantization) that the user watches.
	Idle time.Duration
}

// The default limits, and the environment variables that override them
// (Go durations such as 90s or 10m; 0 turns a limit off).
const (
	DefaultConnectTimeout  = 10 * time.Second
	DefaultDescribeTimeout = 30 * time.Second
	DefaultStreamTimeout   = 10 * time.Minute
	DefaultIdleTimeout     = 2 * time.Minute

	EnvConnectTimeout  = "REIN_CONNECT_TIMEOUT"
	EnvDescribeTimeout = "REIN_DESCRIBE_TIMEOUT"
	EnvStreamTimeout   = "REIN_STREAM_TIMEOUT"
	EnvIdleTimeout     = "REIN_IDLE_TIMEOUT"
)

// DefaultTimeouts returns the default limits.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		Connect:  DefaultConnectTimeout,
		Describe: DefaultDescribeTimeout,
		Stream:   DefaultStreamTimeout,
		Idle:     DefaultIdleTimeout,
	}
}

// TimeoutsFromEnv returns the default limits with those the environment
// sets; a value that is not a duration is an error that names the variable.
func TimeoutsFromEnv() (Timeouts, error) {
	t := DefaultTimeouts()
	for _, v := range []struct {
		env string
		d   *time.Duration
	}{
		{EnvConnectTimeout, &t.Connect},
		{EnvDescribeTimeout, &t.Describe},
		{EnvStreamTimeout, &t.Stream},
		{EnvIdleTimeout, &t.Idle},
	} {
		s := strings.TrimSpace(os.Getenv(v.env))
		if s == "" {
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return t, fmt.Errorf("%s=%q is not a duration: set it like 90s or 10m (0 turns the limit off)", v.env, s)
		}
		*v.d = d
	}
	return t, nil
}

// IdleTimeout is the idle limit of a stream from the environment
// (REIN_IDLE_TIMEOUT), DefaultIdleTimeout when it is unset or not a
// duration; 0 means none.
func IdleTimeout() time.Duration {
	t, err := TimeoutsFromEnv()
	if err != nil {
		return DefaultIdleTimeout
	}
	return t.Idle
}

// NewClient returns a client of the server at base whose requests are
// bounded by t (see Timeouts).
func NewClient(base *url.URL, t Timeouts) *api.Client {
	return api.NewClient(base, HTTPClient(t))
}

// ClientFromEnvironment is api.ClientFromEnvironment with the limits of
// TimeoutsFromEnv: the server is OLLAMA_HOST's.
func ClientFromEnvironment() (*api.Client, error) { return ClientFor(envconfig.Host()) }

// ClientFor returns a client of the server at base with the limits of
// TimeoutsFromEnv.
func ClientFor(base *url.URL) (*api.Client, error) {
	t, err := TimeoutsFromEnv()
	if err != nil {
		return nil, err
	}
	return NewClient(base, t), nil
}

// HTTPClient returns an HTTP client whose requests are bounded by t.
func HTTPClient(t Timeouts) *http.Client {
	return &http.Client{Transport: NewTransport(t)}
}

// NewTransport returns a transport whose requests are bounded by t.
func NewTransport(t Timeouts) http.RoundTripper {
	return WithTimeouts(&http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: t.Connect, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   t.Connect,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}, t)
}

// WithTimeouts wraps base so that each request waits at most t.Describe or
// t.Stream (by its path) for its headers, and at most t.Idle between two
// reads of its body. The connect limit is base's own (its dialer).
func WithTimeouts(base http.RoundTripper, t Timeouts) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &boundedTransport{base: base, t: t}
}

// TimeoutError is a request that the server did not answer in time: no
// headers within the limit, or a body silent for longer than the idle
// limit. Its text names the server and the variable that sets the limit.
type TimeoutError struct {
	Server string        // host:port
	Path   string        // the request's path
	Limit  time.Duration // the limit that ran out
	Env    string        // the variable that sets it
	Idle   bool          // the body went silent (not the headers)
}

func (e *TimeoutError) Error() string {
	if e.Idle {
		return fmt.Sprintf("the server at %s sent nothing for %s in the middle of %s: it may be stuck; restart it, or raise %s", e.Server, e.Limit, e.Path, e.Env)
	}
	return fmt.Sprintf("no answer from the server at %s in %s to %s: it may be stuck or overloaded; restart it, or raise %s", e.Server, e.Limit, e.Path, e.Env)
}

// Timeout reports true: a TimeoutError is a net.Error timeout.
func (e *TimeoutError) Timeout() bool { return true }

// Temporary is part of net.Error.
func (e *TimeoutError) Temporary() bool { return false }

// streamPaths are the requests whose headers may wait for a model to load.
var streamPaths = []string{"/api/generate", "/api/chat", "/api/embed", "/api/embeddings", "/api/pull", "/api/push", "/api/create",
	"/v1/chat/completions", "/v1/completions", "/v1/embeddings"}

// quietPaths are streams with long silent phases that a user watches: a
// pull verifies a digest, a create quantizes, without a word for minutes.
// The idle limit does not apply to them.
var quietPaths = []string{"/api/pull", "/api/push", "/api/create"}

func hasSuffix(path string, paths []string) bool {
	for _, p := range paths {
		if strings.HasSuffix(path, p) {
			return true
		}
	}
	return false
}

// isStream reports whether a request's headers may wait long: a stream,
// or a blob upload (POST /api/blobs/DIGEST), whose headers come once the
// whole body went up.
func isStream(path string) bool {
	return hasSuffix(path, streamPaths) || strings.Contains(path, "/api/blobs/")
}

type boundedTransport struct {
	base http.RoundTripper
	t    Timeouts
}

func (b *boundedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	limit, env := b.t.Describe, EnvDescribeTimeout
	if isStream(req.URL.Path) {
		limit, env = b.t.Stream, EnvStreamTimeout
	}
	if limit <= 0 && b.t.Idle <= 0 {
		return b.base.RoundTrip(req)
	}
	ctx, cancel := context.WithCancel(req.Context())
	te := &TimeoutError{Server: req.URL.Host, Path: req.URL.Path, Limit: limit, Env: env}
	var mu sync.Mutex
	answered, timedOut := false, false
	if limit > 0 {
		timer := time.AfterFunc(limit, func() {
			mu.Lock()
			defer mu.Unlock()
			if !answered {
				timedOut = true
				cancel()
			}
		})
		defer timer.Stop()
	}
	resp, err := b.base.RoundTrip(req.WithContext(ctx))
	mu.Lock()
	answered = true
	to := timedOut
	mu.Unlock()
	if to {
		if resp != nil {
			resp.Body.Close()
		}
		cancel() // the timer did already; vet cannot tell
		return nil, te
	}
	if err != nil {
		cancel()
		return nil, err
	}
	if b.t.Idle <= 0 || hasSuffix(req.URL.Path, quietPaths) {
		resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
		return resp, nil
	}
	resp.Body = &idleBody{rc: resp.Body, cancel: cancel, limit: b.t.Idle,
		err: &TimeoutError{Server: req.URL.Host, Path: req.URL.Path, Limit: b.t.Idle, Env: EnvIdleTimeout, Idle: true}}
	return resp, nil
}

// cancelBody releases the request's context when the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelBody) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// idleBody ends a read that waits longer than limit: the request's context
// is cancelled and the read returns err.
type idleBody struct {
	rc     io.ReadCloser
	cancel context.CancelFunc
	limit  time.Duration
	err    *TimeoutError

	mu    sync.Mutex
	timer *time.Timer
	idle  bool // the limit ran out
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	if b.idle {
		b.mu.Unlock()
		return 0, b.err
	}
	if b.timer == nil {
		b.timer = time.AfterFunc(b.limit, b.expire)
	} else {
		b.timer.Reset(b.limit)
	}
	b.mu.Unlock()
	n, err := b.rc.Read(p)
	b.mu.Lock()
	b.timer.Stop()
	idle := b.idle
	b.mu.Unlock()
	if idle && err != nil {
		return n, b.err
	}
	return n, err
}

func (b *idleBody) expire() {
	b.mu.Lock()
	b.idle = true
	b.mu.Unlock()
	b.cancel()
}

func (b *idleBody) Close() error {
	b.mu.Lock()
	if b.timer != nil {
		b.timer.Stop()
	}
	b.mu.Unlock()
	err := b.rc.Close()
	b.cancel()
	return err
}
