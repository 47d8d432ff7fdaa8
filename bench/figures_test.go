package bench

import (
	"encoding/json"
	"testing"
)

// TestResumedAndFirstToken: the report counts resume figures over the runs
// that resumed only, and times the first token from the request, for
// records from before and after those keys existed.
func TestResumedAndFirstToken(t *testing.T) {
	for _, tc := range []struct {
		name, record string
		resumed      bool
		ttft, ttfa   float64
	}{
		{"new, resumed", `{"cut_reason":"steps","metrics":{"resumes":1,"resume_eval_tokens":12,"clock_ms":3,"ttft_ms":300,"ttfa_ms":900,"load_ms":250,"prompt_ms":40}}`, true, 300, 900},
		{"new, cut, stopped", `{"cut_reason":"steps","metrics":{"resumes":0,"clock_ms":3,"ttft_ms":300}}`, false, 300, 0},
		{"new, not cut", `{"metrics":{"resumes":0,"resume_eval_tokens":2,"clock_ms":3,"ttft_ms":300}}`, false, 300, 0},
		{"old, cut and resumed", `{"cut_reason":"steps","metrics":{"resume_eval_tokens":12,"ttft_ms":10,"ttfa_ms":600,"load_ms":250,"prompt_ms":40}}`, true, 300, 890},
		{"old, not cut, continue figures", `{"metrics":{"resume_eval_tokens":2,"ttft_ms":10,"load_ms":250,"prompt_ms":40}}`, false, 300, 0},
	} {
		var r Result
		if err := json.Unmarshal([]byte(tc.record), &r); err != nil {
			t.Fatal(err)
		}
		ttft, ttfa := r.Metrics.FirstToken()
		if r.Resumed() != tc.resumed || ttft != tc.ttft || ttfa != tc.ttfa {
			t.Errorf("%s: resumed %v, ttft %v, ttfa %v; want %v %v %v", tc.name, r.Resumed(), ttft, ttfa, tc.resumed, tc.ttft, tc.ttfa)
		}
	}
}
