package proxy

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
)

func TestLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.1.2.3": true, "::1": true, "localhost": true,
		"": false, "0.0.0.0": false, "::": false, "192.0.2.1": false, "no-such-host.invalid": false,
	} {
		if got := loopbackHost(context.Background(), host); got != want {
			t.Errorf("loopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestParseUpstream(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{in: "127.0.0.1", want: "http://127.0.0.1:11434"},
		{in: "https://gpu1/base/", want: "https://gpu1:443/base"},
		{in: "h:8080", want: "http://h:8080"},
		{in: "ftp://x", err: `--upstream "ftp://x": want host:port or an http(s) URL`},
		{in: "http://u:p@h:1", err: "no credentials, query or fragment"},
	} {
		u, err := ParseUpstream(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !IsUsage(err) {
				t.Errorf("%q: error %v, want a usage error with %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || u.String() != tt.want {
			t.Errorf("%q: %v %v, want %s", tt.in, u, err, tt.want)
		}
	}
}

// TestListenRefusesItself: a proxy bound where its upstream is refuses to
// serve; a free loopback port is served.
func TestListenRefusesItself(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(probe.Addr().(*net.TCPAddr).Port)
	probe.Close()
	up, _ := ParseUpstream("127.0.0.1:" + port)
	if l, _, err := Listen("127.0.0.1:"+port, up, false); err == nil || !IsUsage(err) || !strings.Contains(err.Error(), "the proxy itself") {
		if l != nil {
			l.Close()
		}
		t.Errorf("listen on the upstream: %v, want a usage error", err)
	}
	l, loopback, err := Listen("127.0.0.1:0", up, false)
	if err != nil || !loopback {
		t.Fatalf("free port: %v loopback %v", err, loopback)
	}
	l.Close()
}
