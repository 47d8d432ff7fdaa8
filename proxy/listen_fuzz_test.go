package proxy

import (
	"testing"
)

// FuzzParseUpstream: an upstream that parses is http(s) with a port and
// no credentials, query or fragment; a refusal is a usage error; nothing
// panics.
func FuzzParseUpstream(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "https://gpu1/base/", "h:8080", "ftp://x", "http://u:p@h:1", "http://h/?q#f", "::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" {
			return // OLLAMA_HOST's, which the environment decides
		}
		u, err := ParseUpstream(s)
		if err != nil {
			if !IsUsage(err) {
				t.Fatalf("%q: %v is not a usage error", s, err)
			}
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Port() == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("%q: upstream %v", s, u)
		}
	})
}
