package runner

import (
	"slices"
	"testing"

	"github.com/ollama/ollama/api"
)

func TestTokenUnits(t *testing.T) {
	lp := func(ss ...string) []api.Logprob {
		var out []api.Logprob
		for _, s := range ss {
			out = append(out, api.Logprob{TokenLogprob: api.TokenLogprob{Token: s}})
		}
		return out
	}
	tests := []struct {
		name  string
		text  string
		lps   []api.Logprob
		want  []unit
		exact bool
	}{
		{"no logprobs", "abc", nil, []unit{{"abc", 1}}, false},
		{"empty", "", nil, nil, true},
		{"one per token", "a b", lp("a", " b"), []unit{{"a", 1}, {" b", 1}}, true},
		{"utf-8 split over tokens", "é!", lp("\xc3", "\xa9", "!"), []unit{{"é", 2}, {"!", 1}}, true},
		{"mismatch", "ab", lp("x", "y"), []unit{{"ab", 2}}, true},
	}
	for _, tc := range tests {
		got, exact := tokenUnits(tc.text, tc.lps)
		if !slices.Equal(got, tc.want) || exact != tc.exact {
			t.Errorf("%s: got %v %v, want %v %v", tc.name, got, exact, tc.want, tc.exact)
		}
	}
}

func TestJoinNewlines(t *testing.T) {
	tests := []struct{ prev, add, want string }{
		{"a", "\n\nX", "\n\nX"},
		{"a\n", "\n\nX", "\nX"},
		{"a\n\n", "\n\nX", "X"},
		{"a\n\n\n", "\n\nX", "X"},
		{"a\n\n", "X", "X"},
	}
	for _, tc := range tests {
		if got := joinNewlines(tc.prev, tc.add); got != tc.want {
			t.Errorf("joinNewlines(%q, %q) = %q, want %q", tc.prev, tc.add, got, tc.want)
		}
	}
}

func TestInject(t *testing.T) {
	tests := []struct {
		name     string
		units    []string
		text     string
		wantGen  string
		dropped  string
		ctxDelta int
	}{
		{"after a blank line", []string{"A", ".", "\n\n"}, "\n\nWait", "A.\n\nWait", "", 0},
		{"after no white space", []string{"A", "."}, "\n\nWait", "A.\n\nWait", "", 0},
		{"a lone newline is dropped", []string{"A", ".", "\n"}, "\n\nWait", "A.\n\nWait", "\n", -1},
		{"spaces too", []string{"A", ".", " ", "\n"}, "\n\nWait", "A.\n\nWait", " \n", -2},
		{"text without newlines", []string{"A", ".", "\n"}, "Wait", "A.\nWait", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rn := &run{tally: tally{ctxTokens: 10}}
			for _, u := range tc.units {
				start := len(rn.gen)
				rn.gen = append(rn.gen, u...)
				rn.spans = append(rn.spans, span{start, len(rn.gen), 1})
			}
			dropped, _ := rn.inject(tc.text)
			if string(rn.gen) != tc.wantGen || dropped != tc.dropped || rn.ctxTokens != 10+tc.ctxDelta {
				t.Errorf("gen %q dropped %q ctx %d; want %q %q %d", rn.gen, dropped, rn.ctxTokens, tc.wantGen, tc.dropped, 10+tc.ctxDelta)
			}
		})
	}
}
