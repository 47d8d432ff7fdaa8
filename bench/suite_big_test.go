package bench

import (
	"fmt"
	"strings"
	"testing"
)

// bigSuite returns a suite of n cases, six lines each after two of head;
// the last case's system line, at line 2+6n, is indented one space short
// when bad is set.
func bigSuite(n int, bad bool) string {
	var b strings.Builder
	b.WriteString("name: big\ncases:\n")
	for i := range n {
		ind := "    "
		if bad && i == n-1 {
			ind = "   "
		}
		fmt.Fprintf(&b, "  - id: c%d\n    prompt: \"What is %d+1?\"\n    tags: [math]\n    check:\n      number: %d\n%ssystem: \"Be brief.\"\n", i, i, i+1, ind)
	}
	return b.String()
}

// TestParseSuiteSyntaxErrorLine: a syntax error is reported at its own line,
// not the line of the block around it, in small files and in large ones
// (the search for the line used to parse every prefix of the file, which
// took minutes at 24,000 lines).
func TestParseSuiteSyntaxErrorLine(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"bad indent", "cases:\n  - id: a\n   prompt: p\n", "s.yaml:3: did not find expected '-' indicator"},
		{"bad indent after blank lines", "cases:\n  - id: a\n\n\n   prompt: p\n  - id: b\n    prompt: q\n", "s.yaml:5: did not find expected '-' indicator"},
		{"bad indent after a comment", "cases:\n  - id: a\n    # note\n   prompt: p\n", "s.yaml:4: did not find expected '-' indicator"},
		{"tab", "cases:\n  - id: a\n\tprompt: p\n", "s.yaml:3: "},
		{"unclosed flow", "cases:\n  - {id: a, prompt: p\n  - id: b\n", "s.yaml:2: "},
		{"no newline at the end", "cases:\n  - id: a\n    prompt: p\n   system: s", "s.yaml:4: did not find expected '-' indicator"},
		{"4,000 cases, bad indent at the end", bigSuite(4000, true), "s.yaml:24002: did not find expected '-' indicator"},
		{"1,000 cases, bad indent at the end", bigSuite(1000, true), "s.yaml:6002: did not find expected '-' indicator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSuite("s.yaml", []byte(tt.yaml))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q…", err, tt.want)
			}
		})
	}
	if s, err := ParseSuite("s.yaml", []byte(bigSuite(4000, false))); err != nil || len(s.Cases) != 4000 {
		t.Fatalf("good suite: %v", err)
	}
}
