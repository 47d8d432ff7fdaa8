package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/models/scripted"
)

// defaultRegistryBin is where Debian's docker-registry package puts the
// distribution registry; REIN_REGISTRY_BIN overrides it.
const defaultRegistryBin = "/usr/bin/docker-registry"

// testRegistry is a real registry (the distribution registry, Debian's
// docker-registry) on loopback. Its redirect storage middleware sends blob
// downloads to a plain file server over its storage folder, reached as
// localhost rather than 127.0.0.1: Ollama follows a registry's redirect
// only to another host name. The test throttles that file server, so a
// pull can be stopped halfway through a blob.
type testRegistry struct {
	Host  string // 127.0.0.1:port, where Ollama pushes and pulls
	Root  string // the registry's storage folder
	Blobs *blobServer
	log   string
}

func startRegistry(t *testing.T) *testRegistry {
	t.Helper()
	bin := os.Getenv("REIN_REGISTRY_BIN")
	if bin == "" {
		bin = defaultRegistryBin
	}
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("no registry at %s: install Debian's docker-registry package (apt-get install docker-registry) or set REIN_REGISTRY_BIN", bin)
		if os.Getenv("REIN_REQUIRE_OLLAMA") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	r := &testRegistry{Root: filepath.Join(dir, "storage"), log: filepath.Join(dir, "registry.log")}
	if err := os.MkdirAll(r.Root, 0o755); err != nil {
		t.Fatal(err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.Blobs = &blobServer{root: r.Root, served: map[string]int64{}}
	hs := &http.Server{Handler: r.Blobs}
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })
	blobPort := l.Addr().(*net.TCPAddr).Port

	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freeLoopbackPort()
		if err != nil {
			t.Fatal(err)
		}
		cfg := filepath.Join(dir, "config.yml")
		err = os.WriteFile(cfg, []byte(fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
middleware:
  storage:
    - name: redirect
      options:
        baseurl: http://localhost:%d/
http:
  addr: 127.0.0.1:%d
`, r.Root, blobPort, port)), 0o644)
		if err != nil {
			t.Fatal(err)
		}
		cmd, exited, err := startProcess(bin, r.log, "serve", cfg)
		if err != nil {
			t.Fatal(err)
		}
		stop := func() {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		r.Host = fmt.Sprintf("127.0.0.1:%d", port)
		if lastErr = waitRegistry(r.Host, exited); lastErr == nil {
			t.Cleanup(stop)
			return r
		}
		stop()
		if !strings.Contains(r.Log(), "address already in use") {
			break
		}
	}
	t.Fatalf("registry: %v\n%s", lastErr, r.Log())
	return nil
}

// startProcess starts bin in its own process group; exited closes when it ends.
func startProcess(bin, logPath string, args ...string) (cmd *exec.Cmd, exited <-chan struct{}, err error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, err
	}
	defer logf.Close()
	cmd = exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	return cmd, done, nil
}

func waitRegistry(host string, exited <-chan struct{}) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("the registry exited")
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("the registry did not answer within 20s")
}

func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Log returns the registry's log.
func (r *testRegistry) Log() string {
	b, _ := os.ReadFile(r.log)
	return string(b)
}

// manifest is the registry's copy of a model's manifest.
type manifest struct {
	Config layerRef   `json:"config"`
	Layers []layerRef `json:"layers"`
}

type layerRef struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// all returns the layers and the config: what a pull downloads.
func (m manifest) all() []layerRef { return append(append([]layerRef(nil), m.Layers...), m.Config) }

// biggest returns the largest blob (the GGUF).
func (m manifest) biggest() layerRef {
	var b layerRef
	for _, l := range m.all() {
		if l.Size > b.Size {
			b = l
		}
	}
	return b
}

func (r *testRegistry) manifest(t *testing.T, repo string) manifest {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+r.Host+"/v2/"+repo+"/manifests/latest", nil)
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("manifest of %s: %s", repo, resp.Status)
	}
	var m manifest
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) == 0 {
		t.Fatalf("manifest of %s has no layers", repo)
	}
	return m
}

// pushScripted creates a scripted model, pushes it to the registry as
// library/<repo>:latest with the real server, and deletes it from the server
// again, blobs and all. It returns the name to pull and the manifest.
func pushScripted(t *testing.T, s *ollamatest.Server, r *testRegistry, repo string, spec scripted.Spec) (string, manifest) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	m, err := scripted.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	local := "lap-push/" + repo
	if err := scripted.Create(ctx, s.Client, local, m, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	remote := r.Host + "/library/" + repo + ":latest"
	if err := s.Client.Copy(ctx, &api.CopyRequest{Source: local, Destination: remote}); err != nil {
		t.Fatal(err)
	}
	var last api.ProgressResponse
	err = s.Client.Push(ctx, &api.PushRequest{Model: remote, Insecure: true}, func(p api.ProgressResponse) error {
		last = p
		return nil
	})
	if err != nil {
		t.Fatalf("push %s: %v\nregistry log:\n%s", remote, err, r.Log())
	}
	if last.Status != "success" {
		t.Fatalf("push %s ended with %q", remote, last.Status)
	}
	for _, n := range []string{local, remote} {
		if err := s.Client.Delete(ctx, &api.DeleteRequest{Model: n}); err != nil {
			t.Fatal(err)
		}
	}
	if hasModel(t, s, remote) {
		t.Fatalf("%s is still there after delete", remote)
	}
	// The pulled model goes at the end, so that its blobs do not outlive
	// the test (a later test would find them and download nothing).
	t.Cleanup(func() { s.Client.Delete(context.Background(), &api.DeleteRequest{Model: remote}) })
	return remote, r.manifest(t, "library/"+repo)
}

func hasModel(t *testing.T, s *ollamatest.Server, name string) bool {
	t.Helper()
	lr, err := s.Client.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range lr.Models {
		if m.Name == name {
			return true
		}
	}
	return false
}

// blobServer is a plain file server over the registry's storage folder
// that can be throttled, and counts the bytes it serves per path.
type blobServer struct {
	root   string
	rate   atomic.Int64 // bytes per second; 0 is no limit
	mu     sync.Mutex
	served map[string]int64
}

// SetRate limits the rate; 0 lifts the limit.
func (b *blobServer) SetRate(bytesPerSecond int64) { b.rate.Store(bytesPerSecond) }

// Served returns the bytes served of a blob so far.
func (b *blobServer) Served(digest string) int64 {
	hex := strings.TrimPrefix(digest, "sha256:")
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.served["/docker/registry/v2/blobs/sha256/"+hex[:2]+"/"+hex+"/data"]
}

func (b *blobServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tw := &throttledWriter{ResponseWriter: w, b: b, path: r.URL.Path, done: r.Context().Done()}
	http.FileServer(http.Dir(b.root)).ServeHTTP(tw, r)
}

type throttledWriter struct {
	http.ResponseWriter
	b    *blobServer
	path string
	done <-chan struct{}
}

func (w *throttledWriter) Write(p []byte) (int, error) {
	const chunk = 16 << 10
	var n int
	for len(p) > 0 {
		c := min(len(p), chunk)
		if rate := w.b.rate.Load(); rate > 0 {
			select {
			case <-w.done:
				return n, errors.New("client gone")
			case <-time.After(time.Duration(float64(c) / float64(rate) * float64(time.Second))):
			}
		}
		m, err := w.ResponseWriter.Write(p[:c])
		n += m
		w.b.mu.Lock()
		w.b.served[w.path] += int64(m)
		w.b.mu.Unlock()
		if err != nil {
			return n, err
		}
		if f, ok := w.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		p = p[c:]
	}
	return n, nil
}
