// Package proxy puts rein's reasoning budgets in front of an Ollama server
// for clients that speak Ollama's API and know nothing of rein.
//
// A Proxy intercepts /api/chat, /api/generate and /v1/chat/completions: it
// runs them through a runner.Runner, which holds the thinking to the
// budgets, cuts it and resumes for an answer, and it answers in the
// endpoint's own format (Ollama's NDJSON or JSON, or OpenAI's SSE chunks or
// JSON), with a `rein` field in the final chunk. Every other path, and the
// requests the runner cannot serve (raw generation, a template or suffix of
// the client's own, think:false, logprobs, an assistant prefill), goes to
// the upstream server untouched, streams included.
//
// A request sets its own budgets with rein_* options (see Budgets and the
// Opt* names); they never go upstream, and an unknown rein_* option is an
// error. The proxy forwards to its configured upstream only, never follows
// redirects, limits request bodies, and, unless told otherwise, accepts
// only local Host names, as Ollama does on loopback.
package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/envconfig"

	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/runner"
)

// DefaultMaxBodyBytes is the request body limit when Config sets none.
const DefaultMaxBodyBytes = 32 << 20

// DefaultCacheTTL is how long model descriptions are cached when Config
// sets no CacheTTL.
const DefaultCacheTTL = 10 * time.Second

// defaultBodyTimeout bounds reading a request body, so that a client that
// stalls mid-body cannot hold a handler forever.
const defaultBodyTimeout = time.Minute

// Config configures a Proxy.
type Config struct {
	// Upstream is the Ollama server, such as http://127.0.0.1:11434. The
	// proxy sends requests nowhere else.
	Upstream *url.URL
	// Budgets apply to every intercepted request; a request's rein_*
	// options override them.
	Budgets Budgets
	// MaxBodyBytes limits the bodies of requests to the intercepted paths,
	// which the proxy reads whole (HTTP 413 beyond); 0 means
	// DefaultMaxBodyBytes. Bodies to other paths stream to the upstream
	// unread, so that `ollama create` can upload model files.
	MaxBodyBytes int64
	// AnyHost accepts requests whatever their Host header says. Leave it
	// false on a loopback address: then only local host names are accepted,
	// as Ollama does, so that a web page cannot reach the proxy through DNS
	// rebinding.
	AnyHost bool
	// Transport carries requests upstream; nil means one of the proxy's
	// own, which ignores HTTP_PROXY and the like.
	Transport http.RoundTripper
	// CacheTTL is how long the server's version and model descriptions
	// (show, list) are reused between runs; 0 means DefaultCacheTTL and a
	// negative value turns the cache off. Creating, pulling, copying or
	// deleting a model through the proxy clears the cache.
	CacheTTL time.Duration
	// Profiles are the family profiles matched against each model; nil
	// means the built-in ones. Their budgets fill those that neither the
	// Budgets above nor the request set.
	Profiles []models.Profile
	// OnRecord, when set, receives the record of every intercepted run,
	// failed and interrupted ones included. It is called on the request's
	// goroutine, so concurrently for concurrent requests.
	OnRecord func(*runner.Record)
	// Logf, when set, receives diagnostics: recovered panics and upstream
	// errors on passed-through requests.
	Logf func(format string, args ...any)
	// ShutdownGrace is how long Serve lets the streams in flight end by
	// themselves once its context ends, before it cuts them; 0 means
	// DefaultShutdownGrace.
	ShutdownGrace time.Duration
	// SuspectsFile, when set, is the wedge guard's state file
	// (runner.Guard.Attach): the suspects of earlier processes on Upstream
	// are watched, and runner.SaveGuards merges this process's into it.
	SuspectsFile string
	// Backend, when set, is what the runs go to instead of Upstream's
	// Ollama API: the openai backend (package openai) of a server that
	// speaks the OpenAI completions protocol. What passes through still
	// goes to Upstream as it is.
	Backend runner.Backend
}

// Proxy is an http.Handler that serves Ollama's API with budgets.
type Proxy struct {
	cfg      Config
	upstream *url.URL
	backend  *cachedBackend
	runs     runner.Backend // the runs' backend: Config.Backend, else backend
	rp       *httputil.ReverseProxy
	origins  []string
	maxBody  int64
	queue    runner.QueueWatch // warns once when runs queue at the server
}

// New returns a proxy for cfg. It checks the upstream URL and the budgets.
func New(cfg Config) (*Proxy, error) {
	if cfg.Upstream == nil || cfg.Upstream.Host == "" {
		return nil, errors.New("proxy: no upstream")
	}
	if s := cfg.Upstream.Scheme; s != "http" && s != "https" {
		return nil, fmt.Errorf("proxy: upstream %s: scheme must be http or https", cfg.Upstream.Redacted())
	}
	if err := cfg.Budgets.Validate(nil); err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	up := *cfg.Upstream
	up.RawQuery, up.Fragment = "", ""
	tr := cfg.Transport
	if tr == nil {
		tr = &http.Transport{
			Proxy:                 nil, // never through another proxy
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   256,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
	hc := &http.Client{
		Transport: tr,
		// Never follow a redirect: the answer goes back as it is.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	p := &Proxy{
		cfg:      cfg,
		upstream: &up,
		maxBody:  cfg.MaxBodyBytes,
		origins:  envconfig.AllowedOrigins(),
	}
	if p.maxBody <= 0 {
		p.maxBody = DefaultMaxBodyBytes
	}
	ttl := cfg.CacheTTL
	if ttl == 0 {
		ttl = DefaultCacheTTL
	}
	// The runs' own requests wait at most the client limits (models.Timeouts);
	// what passes through unchanged is bounded by its client.
	timeouts, err := models.TimeoutsFromEnv()
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	bc := &http.Client{Transport: models.WithTimeouts(tr, timeouts), CheckRedirect: hc.CheckRedirect}
	p.backend = newCachedBackend(api.NewClient(&up, bc), ttl)
	p.runs = p.backend
	if cfg.Backend != nil {
		p.runs = cfg.Backend
	}
	if cfg.SuspectsFile != "" {
		runner.GuardOf(p.runs).Attach(up.Host, cfg.SuspectsFile)
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(&up) // scheme, host and base path of the upstream; Host too
		},
		Transport:     tr,
		FlushInterval: -1, // stream every write: pulls, NDJSON, SSE
		ErrorHandler:  p.upstreamError,
	}
	return p, nil
}

// ServeHTTP serves one request.
func (p *Proxy) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := &trackWriter{ResponseWriter: rw}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			p.logf("rein proxy: panic serving %s %s: %v", r.Method, r.URL.Path, v)
			if !w.wrote {
				writeError(w, http.StatusInternalServerError, fmt.Sprintf("internal error: %v", v))
				return
			}
			panic(http.ErrAbortHandler) // a broken stream, not a clean end
		}
	}()

	switch {
	case r.Method == http.MethodConnect:
		writeError(w, http.StatusMethodNotAllowed, "rein proxy is not a forward proxy")
		return
	case r.URL.IsAbs() || r.URL.Host != "":
		writeError(w, http.StatusBadRequest, "absolute request URI: rein proxy forwards only to its upstream")
		return
	case !p.cfg.AnyHost && !allowedHost(r.Host):
		writeError(w, http.StatusForbidden, fmt.Sprintf("host %q not allowed", r.Host))
		return
	}

	if r.Method == http.MethodPost {
		var h func(*trackWriter, *http.Request)
		switch r.URL.Path {
		case "/api/chat":
			h = p.serveChat
		case "/api/generate":
			h = p.serveGenerate
		case "/v1/chat/completions":
			h = p.serveOpenAIChat
		}
		if h != nil {
			if !p.originAllowed(r) {
				w.WriteHeader(http.StatusForbidden) // as Ollama's CORS check
				return
			}
			if o := r.Header.Get("Origin"); o != "" {
				w.Header().Set("Access-Control-Allow-Origin", o)
				w.Header().Add("Vary", "Origin")
			}
			h(w, r)
			return
		}
		switch r.URL.Path {
		case "/api/create", "/api/pull", "/api/copy":
			defer p.backend.clear()
		}
	}
	if r.Method == http.MethodDelete && r.URL.Path == "/api/delete" {
		defer p.backend.clear()
	}
	p.rp.ServeHTTP(w, r)
}

// forward sends a request upstream untouched but for its body, which the
// caller has read (and may have edited).
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, body []byte) {
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	r2.Header.Del("Content-Length")
	r2.TransferEncoding = nil
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	// A client that leaves mid-stream cancels the upstream request (the
	// reverse proxy then aborts the handler with a panic): on Ollama 0.17.x
	// that can wedge the model's runner (see runner/wedge.go), so the
	// proxy's own runs on the model are watched from then on.
	defer func() {
		v := recover()
		if v != nil || r.Context().Err() != nil {
			var m struct {
				Model string `json:"model"`
			}
			if json.Unmarshal(body, &m) == nil && m.Model != "" {
				runner.GuardOf(p.runs).MarkSuspect(m.Model, time.Now())
			}
		}
		if v != nil {
			panic(v)
		}
	}()
	p.rp.ServeHTTP(w, r2)
}

func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client left
	}
	p.logf("rein proxy: %s %s: upstream: %v", r.Method, r.URL.Path, err)
	writeError(w, http.StatusBadGateway, "rein proxy: cannot reach Ollama at "+p.upstream.Redacted()+": "+err.Error())
}

func (p *Proxy) logf(format string, args ...any) {
	if p.cfg.Logf != nil {
		p.cfg.Logf(format, args...)
	}
}

// httpError is an answer with a status code.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// readBody reads a request body within the size limit and a time limit.
func (p *Proxy) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *httpError) {
	if r.ContentLength > p.maxBody {
		return nil, &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large: %d bytes, the limit is %d", r.ContentLength, p.maxBody)}
	}
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(defaultBodyTimeout)) == nil {
		defer rc.SetReadDeadline(time.Time{})
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, p.maxBody))
	var mbe *http.MaxBytesError
	var ne net.Error
	switch {
	case err == nil && len(bytes.TrimSpace(b)) == 0:
		return nil, &httpError{http.StatusBadRequest, "missing request body"}
	case err == nil:
		return b, nil
	case errors.As(err, &mbe):
		return nil, &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large: the limit is %d bytes", p.maxBody)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, &httpError{http.StatusBadRequest, "truncated request body: " + err.Error()}
	case errors.As(err, &ne) && ne.Timeout():
		return nil, &httpError{http.StatusRequestTimeout, "request body not received in time"}
	}
	return nil, &httpError{http.StatusBadRequest, "read request body: " + err.Error()}
}

// writeError writes Ollama's error object, {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Write(append(b, '\n'))
}

// trackWriter remembers whether anything was written.
type trackWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *trackWriter) WriteHeader(code int) {
	if code >= 200 {
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *trackWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *trackWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		w.wrote = true
		f.Flush()
	}
}

// FlushError flushes and reports a broken connection.
func (w *trackWriter) FlushError() error {
	w.wrote = true
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *trackWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// allowedHost reports whether a Host header names this machine, as
// Ollama's own check on loopback does: localhost, the host name, *.localhost,
// *.local, *.internal, and loopback, private, unspecified or local IPs.
func allowedHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	host = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if addr, err := netip.ParseAddr(host); err == nil {
		return addr.IsLoopback() || addr.IsPrivate() || addr.IsUnspecified() || isLocalIP(addr)
	}
	if host == "" || host == "localhost" {
		return true
	}
	if name, err := os.Hostname(); err == nil && host == strings.ToLower(name) {
		return true
	}
	for _, tld := range []string{"localhost", "local", "internal"} {
		if strings.HasSuffix(host, "."+tld) {
			return true
		}
	}
	return false
}

var (
	localIPsOnce sync.Once
	localIPs     []netip.Addr
)

func isLocalIP(ip netip.Addr) bool {
	localIPsOnce.Do(func() {
		addrs, _ := net.InterfaceAddrs()
		for _, a := range addrs {
			if pn, ok := a.(*net.IPNet); ok {
				if ia, ok := netip.AddrFromSlice(pn.IP); ok {
					localIPs = append(localIPs, ia.Unmap())
				}
			}
		}
	})
	ip = ip.Unmap()
	for _, a := range localIPs {
		if a == ip {
			return true
		}
	}
	return false
}

// originAllowed applies Ollama's CORS rule to a browser request: no Origin,
// the same origin, a browser extension, or an origin that OLLAMA_ORIGINS
// and Ollama's defaults allow (with * wildcards).
func (p *Proxy) originAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "http://"+r.Host || o == "https://"+r.Host {
		return true
	}
	lo := strings.ToLower(o)
	for _, ext := range []string{"chrome-extension://", "safari-extension://", "moz-extension://", "ms-browser-extension://"} {
		if strings.HasPrefix(lo, ext) {
			return true
		}
	}
	for _, a := range p.origins {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "*" || a == lo {
			return true
		}
		if pre, suf, ok := strings.Cut(a, "*"); ok && len(lo) >= len(pre)+len(suf) && strings.HasPrefix(lo, pre) && strings.HasSuffix(lo, suf) {
			return true
		}
	}
	return false
}

// errStatus maps a run's error to a status code and message.
func (p *Proxy) errStatus(err error) (int, string) {
	var se api.StatusError
	if errors.As(err, &se) {
		msg := se.ErrorMessage
		if msg == "" {
			msg = se.Status
		}
		code := se.StatusCode
		if code < 400 {
			code = http.StatusBadGateway
		}
		return code, msg
	}
	var oe *net.OpError
	var ue *url.Error
	if errors.As(err, &oe) || errors.As(err, &ue) {
		return http.StatusBadGateway, "rein proxy: cannot reach Ollama at " + p.upstream.Redacted() + ": " + err.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusGatewayTimeout, err.Error()
	}
	return http.StatusInternalServerError, err.Error()
}
