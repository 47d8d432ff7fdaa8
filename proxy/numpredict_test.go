package proxy

import (
	"math"
	"testing"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/runner"
)

// TestNewRequestNumPredict: a request's num_predict lowers the token cap,
// whatever number type carries it (the OpenAI endpoint's max_tokens comes as
// an int, and was dropped), and no size of it overflows the cap.
func TestNewRequestNumPredict(t *testing.T) {
	tests := []struct {
		name string
		np   any
		want int
	}{
		{"JSON number", 100.0, 100},
		{"int, from max_tokens", 100, 100},
		{"int64", int64(100), 100},
		{"above the default cap", 1e6, runner.DefaultMaxTokens},
		{"1e300", 1e300, runner.DefaultMaxTokens},
		{"max int", math.MaxInt, runner.DefaultMaxTokens},
		{"-1 is no limit", -1.0, 0},
		{"zero", 0.0, 0},
		{"a fraction", 0.5, 0},
		{"NaN", math.NaN(), 0},
		{"a string", "100", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest("m", Budgets{}, map[string]any{"num_predict": tt.np, "temperature": 0.5}, nil, nil)
			req.Prompt = "hi"
			if got := capOf(req); got != tt.want {
				t.Errorf("max tokens %d, want %d", got, tt.want)
			}
			if _, ok := req.Options["num_predict"]; ok || req.Options["temperature"] != 0.5 {
				t.Errorf("options %v", req.Options)
			}
			if err := req.Validate(); err != nil && tt.want != 0 {
				t.Errorf("validate: %v", err)
			}
		})
	}
	// With a cap of the proxy's own, num_predict only lowers it.
	if req := newRequest("m", Budgets{MaxTokens: budget.Ptr(50)}, map[string]any{"num_predict": 1e300}, nil, nil); capOf(req) != 50 {
		t.Errorf("max tokens %d, want 50", capOf(req))
	}
	if req := newRequest("m", Budgets{MaxTokens: budget.Ptr(hooks.LimitTokens)}, map[string]any{"num_predict": 1e300}, nil, nil); capOf(req) != hooks.LimitTokens {
		t.Errorf("max tokens %d, want the limit", capOf(req))
	}
}

// capOf is the request's own token cap, 0 when it sets none.
func capOf(req *runner.Request) int {
	if req.Budgets.MaxTokens == nil {
		return 0
	}
	return *req.Budgets.MaxTokens
}
