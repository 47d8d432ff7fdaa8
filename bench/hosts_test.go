package bench

import (
	"strings"
	"testing"
)

func TestParseHost(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{"127.0.0.1:8080", "http://127.0.0.1:8080", ""},
		{"gpu1", "http://gpu1:11434", ""},
		{":9999", "http://127.0.0.1:9999", ""},
		{"http://gpu2", "http://gpu2:80", ""},
		{"https://box.example/ollama", "https://box.example:443/ollama", ""},
		{"[::1]:7000", "http://[::1]:7000", ""},
		{"::1", "http://[::1]:11434", ""},
		{"", "", "empty host"},
		{"gpu1:port", "", `bad port "port"`},
		{"gpu1:70000", "", `bad port "70000"`},
		{"ftp://gpu1", "", `scheme "ftp"`},
		{"[", "", `bad host "["`}, // found by FuzzParseHost
	} {
		u, err := ParseHost(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%q: error %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || u.String() != tt.want):
			t.Errorf("%q: %v %v, want %s", tt.in, u, err, tt.want)
		}
	}
}
