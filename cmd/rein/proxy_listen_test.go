package main

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestProxyListenCheckedBeforeBind: a --listen address beyond loopback
// without --allow-remote is refused before any socket is bound. The port is
// held by the test, so a proxy that tried to bind would fail with "address
// already in use" instead.
func TestProxyListenCheckedBeforeBind(t *testing.T) {
	t.Setenv("REIN_CONFIG_DIR", t.TempDir())
	held, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	port := strconv.Itoa(held.Addr().(*net.TCPAddr).Port)
	for _, listen := range []string{"0.0.0.0:" + port, ":" + port, "[::]:" + port, "192.0.2.1:" + port} {
		t.Run(listen, func(t *testing.T) {
			errOut, code := reinProxy(context.Background(), nil, "--listen", listen, "--upstream", "127.0.0.1:1")
			want := "--listen " + listen + " is not a loopback address: add --allow-remote"
			if code != exitUsage || !strings.Contains(errOut, want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, exitUsage, want)
			}
		})
	}
	t.Run("not host:port", func(t *testing.T) {
		errOut, code := reinProxy(context.Background(), nil, "--listen", "11435")
		if code != exitUsage || !strings.Contains(errOut, `--listen "11435": want host:port`) {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	// With --allow-remote the check lets it through, to the bind (which the
	// held port makes fail).
	errOut, code := reinProxy(context.Background(), nil, "--listen", "0.0.0.0:"+port, "--allow-remote", "--upstream", "127.0.0.1:1")
	if code != exitError || !strings.Contains(errOut, "address already in use") {
		t.Errorf("--allow-remote: exit %d, stderr %q", code, errOut)
	}
}

// TestProxyLogFolder: a --log file in a folder that does not exist is a
// usage error at the start, and creates nothing.
func TestProxyLogFolder(t *testing.T) {
	t.Setenv("REIN_CONFIG_DIR", t.TempDir())
	missing := filepath.Join(t.TempDir(), "no", "such", "p.jsonl")
	errOut, code := reinProxy(context.Background(), nil, "--listen", "127.0.0.1:0", "--log", missing)
	if code != exitUsage || !strings.Contains(errOut, "folder "+filepath.Dir(missing)+" does not exist") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Dir(filepath.Dir(missing))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a folder was created: %v", err)
	}
}
