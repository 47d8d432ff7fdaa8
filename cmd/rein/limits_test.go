package main

import (
	"context"
	"strings"
	"testing"
)

// TestBudgetLimits: a budget flag beyond its limit is a usage error in one
// line that names the flag, before any server is asked (a think budget of
// 2^63-1 tokens once overflowed and gave an empty run with exit 0).
func TestBudgetLimits(t *testing.T) {
	t.Setenv("OLLAMA_HOST", "127.0.0.1:1") // no server: the flags fail first
	t.Setenv("REIN_CONFIG_DIR", t.TempDir())
	const huge = "9223372036854775807"
	tests := []struct {
		flag, value, want string
	}{
		{"--max-think-tokens", huge, "--max-think-tokens must be at most 1000000000, not " + huge},
		{"--max-tokens", "1000000001", "--max-tokens must be at most 1000000000"},
		{"--max-answer-tokens", huge, "--max-answer-tokens must be at most"},
		{"--max-steps", huge, "--max-steps must be at most 1000000"},
		{"--min-steps", "2000000", "--min-steps must be at most 1000000"},
		{"--loop", huge, "--loop must be at most 1000000"},
		{"--max-think-time", "2562047h", "--max-think-time must be at most 168h0m0s"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run("run "+tt.flag, func(t *testing.T) {
			_, errOut, code := reinRun(t, ctx, nil, nil, "t/closer", "hi", "--no-log", tt.flag, tt.value)
			if code != exitUsage || !strings.Contains(errOut, tt.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("exit %d, stderr %q, want %q", code, errOut, tt.want)
			}
		})
		t.Run("proxy "+tt.flag, func(t *testing.T) {
			errOut, code := reinProxy(ctx, nil, "--listen", "127.0.0.1:0", tt.flag, tt.value)
			if code != exitUsage || !strings.Contains(errOut, tt.flag+" must be at most") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("exit %d, stderr %q", code, errOut)
			}
		})
	}
	// Within the limits, the flags pass (and the run fails on the server).
	_, errOut, code := reinRun(t, ctx, nil, nil, "t/closer", "hi", "--no-log", "--max-think-tokens", "1000000000")
	if code != exitError || strings.Contains(errOut, "at most") {
		t.Errorf("within the limit: exit %d, stderr %q", code, errOut)
	}
}
