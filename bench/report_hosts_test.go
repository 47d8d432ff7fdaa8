package bench

import (
	"bytes"
	"strings"
	"testing"
)

// TestReportHosts: results from two servers (rein bench --host A --host
// openai+B) get a row per host, side by side, and a host column; results
// from one server keep the table as it was.
func TestReportHosts(t *testing.T) {
	run := func(host, budget string, pass bool) Result {
		return Result{Model: "m", Host: host, Budget: budget, Check: &CheckResult{Pass: pass}}
	}
	two := []Result{
		run("127.0.0.1:11434", "steps=2", true), run("127.0.0.1:11434", "steps=2", false),
		run("127.0.0.2:8000", "steps=2", true), run("127.0.0.2:8000", "steps=2", true),
		run("127.0.0.1:11434", "none", true), run("127.0.0.2:8000", "none", true),
	}
	rows := Report(two, ReportOptions{})
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4 (2 hosts × 2 budgets): %+v", len(rows), rows)
	}
	if rows[0].Host != "127.0.0.1:11434" || rows[1].Host != "127.0.0.2:8000" || rows[0].Budget != rows[1].Budget {
		t.Errorf("rows not side by side by host: %+v", rows)
	}
	if rows[0].Passed != 1 || rows[1].Passed != 2 {
		t.Errorf("passed %d and %d, want 1 and 2", rows[0].Passed, rows[1].Passed)
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, two, rows, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| model | host | budget |") || !strings.Contains(md.String(), "| m | 127.0.0.2:8000 | steps=2 |") {
		t.Errorf("no host column:\n%s", md.String())
	}
	var csv bytes.Buffer
	if err := WriteCSV(&csv, rows, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(csv.String(), "model,host,budget,") {
		t.Errorf("csv header %q", strings.SplitN(csv.String(), "\n", 2)[0])
	}

	one := Report(two[:2], ReportOptions{})
	if len(one) != 1 || one[0].Host != "" {
		t.Errorf("one host: %+v, want one row without a host", one)
	}
}
