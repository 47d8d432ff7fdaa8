package bench

import (
	"net"
	"strconv"
	"testing"
)

// FuzzParseHost: a host that parses is an http(s) URL with a host and a
// port in range; nothing panics.
func FuzzParseHost(f *testing.F) {
	for _, s := range []string{"127.0.0.1:8080", "gpu1", ":9999", "https://box/ollama", "[::1]:7000", "::1", "", "h:0", "ftp://x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseHost(s)
		if err != nil {
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("%q: scheme %q", s, u.Scheme)
		}
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil || host == "" {
			t.Fatalf("%q: host %q: %v", s, u.Host, err)
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			t.Fatalf("%q: port %q", s, port)
		}
	})
}
