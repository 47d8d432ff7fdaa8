package localserver

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBusyPortPicksAnother: when the port asked for is taken, Start moves to
// a free one.
func TestBusyPortPicksAnother(t *testing.T) {
	if testing.Short() {
		t.Skip("server test")
	}
	if _, err := FindBinary(); err != nil {
		if os.Getenv("REIN_REQUIRE_OLLAMA") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{Port: busy})
	if err != nil {
		t.Fatalf("start with a busy port: %v", err)
	}
	defer s.Stop()
	if strings.HasSuffix(s.Host, ":"+strconv.Itoa(busy)) {
		t.Fatalf("server claims the busy port %d", busy)
	}
	if v, err := s.Client.Version(ctx); err != nil || v == "" {
		t.Fatalf("version %q, %v", v, err)
	}
}

// TestBuildScriptNoCompiler: without a C++ compiler the build script says
// what to install, in one line, instead of failing deep in cgo.
func TestBuildScriptNoCompiler(t *testing.T) {
	root, _ := filepath.Abs("../..")
	bin := t.TempDir()
	// A PATH with Go and the shell tools the script uses, but no gcc or g++.
	for _, tool := range []string{"bash", "dirname", "id", "sed", "date", "cp", "chmod", "mkdir", "rm", "mktemp", "cat", "env"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("no %s", tool)
		}
		os.Symlink(p, filepath.Join(bin, tool))
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go")
	}
	os.Symlink(gobin, filepath.Join(bin, "go"))
	cmd := exec.Command(filepath.Join(bin, "bash"), filepath.Join(root, "scripts", "build-ollama.sh"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PATH="+bin, "REIN_CACHE_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("build without a compiler succeeded:\n%s", out)
	}
	if !strings.Contains(string(out), "install a C++ compiler") || !strings.Contains(string(out), "build-essential") {
		t.Errorf("message does not say what to install:\n%s", out)
	}
}
