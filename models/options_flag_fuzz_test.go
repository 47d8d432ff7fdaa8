package models

import (
	"strings"
	"testing"
)

// FuzzParseOptions: --option key=value pairs that parse give every key,
// stop as a list; think settings parse to on/off and a known level;
// nothing panics.
func FuzzParseOptions(f *testing.F) {
	for _, s := range []string{"temperature=0.6", "stop=###", "num_ctx=4096", "x", "=1", "stop=[\"a\",\"b\"]", "top_k=-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, kv string) {
		opts, err := ParseOptions([]string{kv})
		if err == nil {
			k, _, _ := strings.Cut(kv, "=")
			if _, ok := opts[strings.TrimSpace(k)]; !ok || len(opts) != 1 {
				t.Fatalf("%q: options %v", kv, opts)
			}
			if v, ok := opts["stop"]; ok {
				if _, list := v.([]any); !list {
					t.Fatalf("%q: stop %T, want a list", kv, v)
				}
			}
		}
		on, level, err := ParseThink(kv)
		if err == nil && level != "" && (!on || level != "low" && level != "medium" && level != "high") {
			t.Fatalf("think %q: %v %q", kv, on, level)
		}
	})
}
