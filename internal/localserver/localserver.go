// Package localserver starts a private ollama server on loopback, for
// `rein demo`, `rein bench --suite demo` and the tests (through
// internal/ollamatest): a free port, a temporary model store, a wait on
// /api/version, and a stop at the end, with the server's log kept for
// failures.
package localserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ollama/ollama/api"
	"golang.org/x/mod/semver"
)

// Options configure a server.
type Options struct {
	// Binary is the ollama executable; "" means FindBinary.
	Binary string
	// Dir holds the model store and the log; "" means a new temporary folder,
	// removed on Stop.
	Dir string
	// Debug sets OLLAMA_DEBUG=1, which logs the KV-cache reuse of each request.
	Debug bool
	// NewEngine sets OLLAMA_NEW_ENGINE=1 (Ollama's Go runner instead of llama.cpp's).
	NewEngine bool
	// Env adds variables (KEY=VALUE).
	Env []string
	// Port is tried first; 0 picks a free port.
	Port int
}

// Server is a running ollama server.
type Server struct {
	Host    string // host:port
	URL     *url.URL
	Client  *api.Client
	LogPath string
	Dir     string

	cmd     *exec.Cmd
	done    chan struct{}
	exitErr error
	ownDir  bool
	once    sync.Once
}

// ErrNoBinary means no ollama binary was found.
var ErrNoBinary = errors.New("no ollama binary: run `make ollama` (scripts/build-ollama.sh) or set REIN_OLLAMA_BIN")

// FindBinary returns the ollama binary: $REIN_OLLAMA_BIN, or the newest of
// the servers scripts/build-ollama.sh keeps in its cache, one per version
// (scripts/ollama-versions lists those the tests run on).
func FindBinary() (string, error) {
	if b := os.Getenv("REIN_OLLAMA_BIN"); b != "" {
		if _, err := os.Stat(b); err != nil {
			return "", fmt.Errorf("REIN_OLLAMA_BIN: %w", err)
		}
		return b, nil
	}
	paths, _ := filepath.Glob(filepath.Join(CacheDir(), "ollama", "v*", "ollama"))
	best, bestV := "", ""
	for _, p := range paths {
		v := filepath.Base(filepath.Dir(p))
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || !semver.IsValid(v) {
			continue
		}
		if semver.Compare(v, lastInProcessEngine) > 0 {
			continue // runs models in llama-server, which its module cannot build
		}
		if bestV == "" || semver.Compare(v, bestV) > 0 {
			best, bestV = p, v
		}
	}
	if best == "" {
		return "", ErrNoBinary
	}
	return best, nil
}

// lastInProcessEngine bounds the versions FindBinary picks: from v0.30.0 on,
// Ollama runs every GGUF in a separate llama-server process that a build of
// its Go module does not contain, so such a server runs no model.
const lastInProcessEngine = "v0.29.99"

// CacheDir is where built servers are kept, as scripts/build-ollama.sh does.
func CacheDir() string {
	if d := os.Getenv("REIN_CACHE_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "rein")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "rein")
}

// Start starts a server and waits until it answers. A port that turns out to
// be taken is skipped for another.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin := opts.Binary
	if bin == "" {
		var err error
		if bin, err = FindBinary(); err != nil {
			return nil, err
		}
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port := opts.Port
		if attempt > 0 || port == 0 {
			p, err := freePort()
			if err != nil {
				return nil, err
			}
			port = p
		}
		s, err := start(ctx, bin, opts, port)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, errPortBusy) {
			return nil, err
		}
	}
	return nil, lastErr
}

var errPortBusy = errors.New("port in use")

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func start(ctx context.Context, bin string, opts Options, port int) (*Server, error) {
	s := &Server{Dir: opts.Dir, done: make(chan struct{})}
	if s.Dir == "" {
		d, err := os.MkdirTemp("", "rein-ollama-*")
		if err != nil {
			return nil, err
		}
		s.Dir, s.ownDir = d, true
	}
	models := filepath.Join(s.Dir, "models")
	if err := os.MkdirAll(models, 0o755); err != nil {
		return nil, err
	}
	s.Host = fmt.Sprintf("127.0.0.1:%d", port)
	s.URL = &url.URL{Scheme: "http", Host: s.Host}
	s.Client = api.NewClient(s.URL, http.DefaultClient)
	s.LogPath = filepath.Join(s.Dir, fmt.Sprintf("ollama-%d.log", port))
	logf, err := os.Create(s.LogPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"OLLAMA_HOST="+s.Host,
		"OLLAMA_MODELS="+models,
		"OLLAMA_NOPRUNE=1",
		"OLLAMA_KEEP_ALIVE=10m",
		"HOME="+s.Dir, // keeps the server's key and history out of the user's home
	)
	if opts.Debug {
		cmd.Env = append(cmd.Env, "OLLAMA_DEBUG=1")
	}
	if opts.NewEngine {
		cmd.Env = append(cmd.Env, "OLLAMA_NEW_ENGINE=1")
	}
	cmd.Env = append(cmd.Env, opts.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s.cmd = cmd
	go func() {
		s.exitErr = cmd.Wait()
		logf.Close()
		close(s.done)
	}()

	deadline := time.Now().Add(60 * time.Second)
	for {
		vctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := s.Client.Version(vctx)
		cancel()
		if err == nil {
			return s, nil
		}
		select {
		case <-s.done:
			log := s.LogTail(2000)
			s.cleanup()
			if strings.Contains(log, "address already in use") {
				return nil, errPortBusy
			}
			return nil, fmt.Errorf("ollama serve exited (%v): %s", s.exitErr, log)
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			log := s.LogTail(2000)
			s.Stop()
			return nil, fmt.Errorf("ollama serve did not answer on %s within 60s: %s", s.Host, log)
		}
	}
}

// Env returns OLLAMA_HOST for this server, for child processes.
func (s *Server) Env() string { return "OLLAMA_HOST=" + s.Host }

// Alive reports whether the server process is still running.
func (s *Server) Alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Kill kills the server at once, as a crash would.
func (s *Server) Kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// Stop stops the server (its runners included) and removes a temporary folder.
func (s *Server) Stop() {
	s.once.Do(func() {
		if s.cmd != nil && s.cmd.Process != nil && s.Alive() {
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-s.done:
			case <-time.After(5 * time.Second):
				syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
				<-s.done
			}
		}
		s.cleanup()
	})
}

func (s *Server) cleanup() {
	if s.ownDir && os.Getenv("REIN_KEEP_OLLAMA_DIR") == "" {
		os.RemoveAll(s.Dir)
	}
}

// Log returns the server's log so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.LogPath)
	return string(b)
}

// LogTail returns the last n bytes of the server's log.
func (s *Server) LogTail(n int) string {
	b, _ := os.ReadFile(s.LogPath)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(bytes.TrimSpace(b))
}
