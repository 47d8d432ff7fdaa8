package bench

import (
	"fmt"
	"strconv"
	"time"
)

// SummaryRecord is what rein bench --json prints at the end.
type SummaryRecord struct {
	Results     string   `json:"results"`
	Total       int      `json:"total"`
	Skipped     int      `json:"skipped"`
	Ran         int      `json:"ran"`
	Passed      int      `json:"passed"`
	Failed      int      `json:"failed"`
	Unchecked   int      `json:"unchecked"`
	Errors      int      `json:"errors"`
	Interrupted int      `json:"interrupted"`
	ElapsedMS   float64  `json:"elapsed_ms"`
	Warnings    []string `json:"warnings"`
}

// Record is the summary as rein bench --json prints it, results naming the
// results file.
func (s Summary) Record(results string) SummaryRecord {
	r := SummaryRecord{Results: results, Total: s.Total, Skipped: s.Skipped, Ran: s.Ran, Passed: s.Passed,
		Failed: s.Failed, Unchecked: s.Unchecked, Errors: s.Errors, Interrupted: s.Interrupted,
		ElapsedMS: float64(s.Elapsed.Microseconds()) / 1000, Warnings: s.Warnings}
	if r.Warnings == nil {
		r.Warnings = []string{}
	}
	return r
}

// Line is the summary in one line: "12 runs: 10 passed, 1 failed, 1
// unchecked; 0 skipped; 3.2s; results.jsonl".
func (s Summary) Line(results string) string {
	runs := strconv.Itoa(s.Ran) + " runs"
	if s.Ran == 1 {
		runs = "1 run"
	}
	line := fmt.Sprintf("%s: %d passed, %d failed, %d unchecked", runs, s.Passed, s.Failed, s.Unchecked)
	if s.Errors > 0 {
		line += fmt.Sprintf(", %d errors", s.Errors)
	}
	if s.Interrupted > 0 {
		line += fmt.Sprintf(", %d interrupted", s.Interrupted)
	}
	line += fmt.Sprintf("; %d skipped; %s; %s", s.Skipped, s.Elapsed.Round(10*time.Millisecond), results)
	return line
}
