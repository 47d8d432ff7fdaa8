package bench

import (
	"encoding/json"
	"testing"
	"time"
)

func TestSummaryLine(t *testing.T) {
	for _, tt := range []struct {
		s    Summary
		want string
	}{
		{Summary{Ran: 1, Passed: 1, Elapsed: 1234 * time.Millisecond}, "1 run: 1 passed, 0 failed, 0 unchecked; 0 skipped; 1.23s; r.jsonl"},
		{Summary{Ran: 5, Passed: 2, Failed: 1, Errors: 1, Interrupted: 1, Skipped: 3, Elapsed: time.Second}, "5 runs: 2 passed, 1 failed, 0 unchecked, 1 errors, 1 interrupted; 3 skipped; 1s; r.jsonl"},
	} {
		if got := tt.s.Line("r.jsonl"); got != tt.want {
			t.Errorf("line %q, want %q", got, tt.want)
		}
	}
	b, _ := json.Marshal(Summary{Ran: 2, Elapsed: 1500 * time.Microsecond}.Record("r.jsonl"))
	if want := `{"results":"r.jsonl","total":0,"skipped":0,"ran":2,"passed":0,"failed":0,"unchecked":0,"errors":0,"interrupted":0,"elapsed_ms":1.5,"warnings":[]}`; string(b) != want {
		t.Errorf("record %s, want %s", b, want)
	}
}
