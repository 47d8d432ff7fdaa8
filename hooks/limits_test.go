package hooks

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestCheckLimit(t *testing.T) {
	tests := []struct {
		kind BudgetKind
		v    int64
		want string // "" for no error
	}{
		{BudgetTokens, 0, ""},
		{BudgetTokens, LimitTokens, ""},
		{BudgetTokens, LimitTokens + 1, "x must be at most 1000000000, not 1000000001"},
		{BudgetTokens, math.MaxInt64, "x must be at most 1000000000, not 9223372036854775807"},
		{BudgetSteps, LimitSteps, ""},
		{BudgetSteps, math.MaxInt64, "x must be at most 1000000, not 9223372036854775807"},
		{BudgetTime, int64(time.Hour), ""},
		{BudgetTime, int64(LimitThinkTime) + 1, "x must be at most 168h0m0s"},
		{BudgetTime, math.MaxInt64, "x must be at most 168h0m0s, not 2562047h47m16.854775807s"},
	}
	for _, tt := range tests {
		err := CheckLimit("x", tt.kind, tt.v)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("kind %d, %d: %v", tt.kind, tt.v, err)
		case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
			t.Errorf("kind %d, %d: error %v, want %q", tt.kind, tt.v, err, tt.want)
		}
	}
	// No two limits overflow when added, nor a limit plus one.
	if LimitTokens*4+1 < 0 || int64(LimitThinkTime)*2 < 0 {
		t.Fatal("limits too large")
	}
}
