package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rein-dev/rein/bench"
	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/models/scripted"
)

// reinBench runs `rein bench ARGS…` as the command line would and returns
// stdout, stderr and the exit code. onProgress sees the bench's progress.
func reinBench(t *testing.T, ctx context.Context, onProgress func(done, total, skipped int), args ...string) (string, string, int) {
	t.Helper()
	ios, out, errOut := testStreams("")
	opts := &BenchOptions{IO: ios, Now: time.Now, OnProgress: onProgress}
	cmd := newBenchCmdWith(opts)
	cmd.SetArgs(args)
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(ctx)
	code := exitCode(ctx, ios.ErrOut, err)
	return out.String(), errOut.String(), code
}

// demoBudgets are the three budgets of the demo bench: a step budget and a
// token budget below every demo script's thinking length, and none (the
// default loop cut only). (The step hook cuts when the nth step ends, before
// the model could close its thinking, so a two-step script is cut by
// steps=2 too; steps=1 keeps the test clear of that edge.)
const demoBudgets = "steps=1,none,think-tokens=10"

// demoCuts is the cut each demo model's script gets under each budget: the
// runaway thinks forever, so none ends at the loop cut; the closer and the
// magistral one close their thinking after three and two steps.
var demoCuts = map[string]map[string]string{
	"rein-demo/runaway":   {"steps=1": "steps", "none": "loop", "think-tokens=10": "tokens"},
	"rein-demo/closer":    {"steps=1": "steps", "none": "", "think-tokens=10": "tokens"},
	"rein-demo/magistral": {"steps=1": "steps", "none": "", "think-tokens=10": "tokens"},
}

// demoJobs is the demo bench's matrix: runaway and closer have one prompt,
// magistral two (French and English), each under the three budgets.
const demoJobs = (1 + 1 + 2) * 3

func demoScripts(t *testing.T) map[string]*scripted.Model {
	t.Helper()
	out := map[string]*scripted.Model{}
	for _, d := range scripted.DemoModels() {
		m, err := scripted.Build(d.Spec)
		if err != nil {
			t.Fatal(err)
		}
		out[d.Name] = m
	}
	return out
}

// rawRecords reads every line of a results file as a JSON object.
func rawRecords(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v: %s", path, err, sc.Text())
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func rawKey(rec map[string]any) string {
	return fmt.Sprintf("%s|%s|%s|%s|%v|%v", str(rec, "model"), str(rec, "case"), str(rec, "variant"), str(rec, "budget"), rec["repeat"], rec["seed"])
}

func rawFailed(rec map[string]any) bool {
	c := str(rec, "cut_reason")
	return str(rec, "error") != "" || c == "interrupted" || c == "error"
}

// TestBenchDemo runs the demo suite on the scripted demo models against the
// real server, checks that every record follows its model's script, and
// reports on the results.
func TestBenchDemo(t *testing.T) {
	s := ollamatest.Need(t, srv)
	dir := t.TempDir()
	out := filepath.Join(dir, "results.jsonl")
	const load = `msg="starting runner"`
	loadsBefore := strings.Count(s.Log(), load)

	stdout, stderr, code := reinBench(t, context.Background(), nil,
		"--suite", "demo", "--host", s.Host, "--budgets", demoBudgets, "--seed", "7", "-o", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum bench.SummaryRecord
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("stdout is not one JSON summary: %v\n%s", err, stdout)
	}
	if sum.Total != demoJobs || sum.Ran != demoJobs || sum.Passed != demoJobs || sum.Skipped != 0 || sum.Errors != 0 || sum.Results != out {
		t.Errorf("summary %+v, want %d runs all passed", sum, demoJobs)
	}
	if !strings.Contains(stderr, fmt.Sprintf("bench: %d/%d runs (100%%)", demoJobs, demoJobs)) ||
		!strings.Contains(stderr, fmt.Sprintf("bench: %d runs of suite demo: 3 models × 3 budgets × 1 repeats on 1 host", demoJobs)) {
		t.Errorf("stderr:\n%s", stderr)
	}
	// keep_alive and one num_ctx per model: each model loads once at most
	// (the warm-up), never once per run; a run that met Ollama's lost-slot
	// bug unloaded its model to recover (runner/wedge.go), and that reload
	// is allowed for.
	recovered := 0
	for _, rec := range rawRecords(t, out) {
		recovered += strings.Count(fmt.Sprint(rec["warnings"]), "17131")
	}
	if loads := strings.Count(s.Log(), load) - loadsBefore; loads > 3+recovered {
		t.Errorf("the server loaded a model %d times for 3 models (%d recoveries from a lost slot)", loads, recovered)
	}

	scripts := demoScripts(t)
	results, warnings, err := bench.LoadResults(out)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("load: %v %v", err, warnings)
	}
	if len(results) != demoJobs {
		t.Fatalf("%d records, want %d", len(results), demoJobs)
	}
	seen := map[string]bool{}
	variants := map[string]bool{}
	for _, r := range results {
		name := r.Model + " " + r.Budget + " " + r.Variant
		if seen[r.Key()] {
			t.Errorf("%s: recorded twice", name)
		}
		seen[r.Key()] = true
		m := scripts[r.Model]
		if m == nil {
			t.Errorf("%s: not a demo model", name)
			continue
		}
		if strings.TrimSpace(r.Answer) != strings.TrimSpace(m.Answer()) {
			t.Errorf("%s: answer %q, want the script's %q", name, r.Answer, m.Answer())
		}
		want, ok := demoCuts[r.Model][r.Budget]
		if !ok || r.CutReason != want {
			t.Errorf("%s: cut %q, want %q", name, r.CutReason, want)
		}
		switch r.CutReason {
		case "steps":
			if r.Steps != 1 {
				t.Errorf("%s: %d steps at a steps=1 cut", name, r.Steps)
			}
		case "tokens":
			if r.Metrics.ThinkingTokens != 10 {
				t.Errorf("%s: %v thinking tokens at a think-tokens=10 cut", name, r.Metrics.ThinkingTokens)
			}
		case "loop":
			if r.LoopRepeats != budget.DefaultLoop {
				t.Errorf("%s: loop cut after %d repeats, want %d", name, r.LoopRepeats, budget.DefaultLoop)
			}
		case "":
			if strings.TrimSpace(r.Thinking) != strings.TrimSpace(m.Thinking()) {
				t.Errorf("%s: thinking %q, want the whole script's %q", name, r.Thinking, m.Thinking())
			}
		}
		if r.Check == nil || !r.Check.Pass {
			t.Errorf("%s: check %+v, want a pass", name, r.Check)
		}
		if r.Seed != 7 || r.Repeat != 0 || r.Error != "" || len(r.TokenMS) == 0 {
			t.Errorf("%s: seed %d repeat %d error %q, %d token times", name, r.Seed, r.Repeat, r.Error, len(r.TokenMS))
		}
		if r.Model == "rein-demo/magistral" {
			variants[r.Variant] = true
		}
	}
	if !variants[""] || !variants["en"] || len(variants) != 2 {
		t.Errorf("magistral variants %v, want the main prompt and en", variants)
	}
	for _, rec := range rawRecords(t, out) {
		b, _ := rec["budgets"].(map[string]any)
		if str(rec, "host") != s.Host || b["num_ctx"] != float64(32768) || b["max_tokens"] != float64(32768) || b["think"] != true {
			t.Errorf("%s: host %q budgets %v", rawKey(rec), str(rec, "host"), b)
		}
	}

	// rein report on the bench's output.
	rdir := filepath.Join(dir, "report")
	ios, rout, rerr := testStreams("")
	if err := reportRun(context.Background(), &ReportOptions{IO: ios, Results: []string{out}, Out: rdir}); err != nil {
		t.Fatalf("report: %v\n%s", err, rerr)
	}
	for _, name := range []string{"report.md", "report.csv", "bench.txt", "speed.png", "speed.svg",
		"accuracy.png", "accuracy.svg", "lengths.png", "lengths.svg"} {
		data, err := os.ReadFile(filepath.Join(rdir, name))
		switch {
		case err != nil:
			t.Errorf("%s: %v", name, err)
		case strings.HasSuffix(name, ".png") && !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
			t.Errorf("%s is not a PNG", name)
		case strings.HasSuffix(name, ".svg") && !bytes.Contains(data, []byte("<svg")):
			t.Errorf("%s is not an SVG", name)
		case len(data) == 0:
			t.Errorf("%s is empty", name)
		}
		if !strings.Contains(rout.String(), filepath.Join(rdir, name)) {
			t.Errorf("report's stdout does not list %s", name)
		}
	}
	md, _ := os.ReadFile(filepath.Join(rdir, "report.md"))
	rows := map[string]int{}
	// The first table is the model × budget table; later ones (accuracy
	// by budget kind) have rows of their own.
	mainTable, _, _ := strings.Cut(string(md), "\n## ")
	for _, line := range strings.Split(mainTable, "\n") {
		if !strings.HasPrefix(line, "| rein-demo/") {
			continue
		}
		cells := strings.Split(line, " | ")
		if len(cells) < 5 {
			t.Errorf("short row %q", line)
			continue
		}
		rows[strings.TrimPrefix(cells[0], "| ")+" "+cells[1]]++
		// runs and accuracy: every run passed.
		runs := "1"
		if strings.HasPrefix(cells[0], "| rein-demo/magistral") {
			runs = "2"
		}
		if cells[2] != runs || cells[3] != fmt.Sprintf("100%% (%s/%s)", runs, runs) {
			t.Errorf("row %q: want %s runs, all correct", line, runs)
		}
	}
	for model, cuts := range demoCuts {
		for budget := range cuts {
			if rows[model+" "+budget] != 1 {
				t.Errorf("report.md has %d rows for %s %s:\n%s", rows[model+" "+budget], model, budget, md)
			}
		}
	}
	if len(rows) != 9 {
		t.Errorf("report.md has %d model × budget rows, want 9:\n%s", len(rows), md)
	}
	txt, _ := os.ReadFile(filepath.Join(rdir, "bench.txt"))
	if !strings.Contains(string(txt), "BenchmarkRein/model=rein-demo_runaway/budget=none") {
		t.Errorf("bench.txt:\n%s", txt)
	}
}

// TestBenchResume interrupts a bench halfway and runs it again: the second
// run skips the runs already done, and in the end every run is recorded
// once, complete.
func TestBenchResume(t *testing.T) {
	s := ollamatest.Need(t, srv)
	out := filepath.Join(t.TempDir(), "results.jsonl")
	args := []string{"--suite", "demo", "--host", s.Host, "--budgets", demoBudgets, "--parallel", "2", "-o", out}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const stopAfter = 5
	_, stderr, code := reinBench(t, ctx, func(done, total, skipped int) {
		if done >= stopAfter {
			cancel()
		}
	}, args...)
	if code != exitInterrupt || !strings.Contains(stderr, "interrupted: ") || !strings.Contains(stderr, "run the same command again to go on") {
		t.Fatalf("first bench: exit %d, want %d:\n%s", code, exitInterrupt, stderr)
	}
	first := rawRecords(t, out)
	complete := 0
	for _, rec := range first {
		if !rawFailed(rec) {
			complete++
		}
	}
	t.Logf("interrupted after %d of %d runs: %d records, %d complete", stopAfter, demoJobs, len(first), complete)
	if complete < stopAfter || complete >= demoJobs {
		t.Fatalf("after the interruption %d complete records, want %d to %d", complete, stopAfter, demoJobs-1)
	}

	stdout, stderr, code := reinBench(t, context.Background(), nil, args...)
	if code != 0 {
		t.Fatalf("second bench: exit %d:\n%s", code, stderr)
	}
	if want := fmt.Sprintf("skipped %d runs already in %s\n", complete, out); !strings.Contains(stderr, want) {
		t.Errorf("stderr does not say %q:\n%s", want, stderr)
	}
	if want := fmt.Sprintf("%d runs: %d passed, 0 failed, 0 unchecked; %d skipped;", demoJobs-complete, demoJobs-complete, complete); !strings.HasPrefix(stdout, want) || strings.Count(stdout, "\n") != 1 {
		t.Errorf("stdout %q, want one line starting %q", stdout, want)
	}

	// Every job once, complete; interrupted records (runs in flight at the
	// cancel) were done again.
	counts := map[string]int{}
	all := rawRecords(t, out)
	for _, rec := range all {
		if !rawFailed(rec) {
			counts[rawKey(rec)]++
		} else if str(rec, "cut_reason") != "interrupted" {
			t.Errorf("%s: failed with %q: %s", rawKey(rec), str(rec, "cut_reason"), str(rec, "error"))
		}
	}
	if len(counts) != demoJobs {
		t.Errorf("%d distinct complete runs, want %d", len(counts), demoJobs)
	}
	for k, n := range counts {
		if n != 1 {
			t.Errorf("%s recorded %d times", k, n)
		}
	}
	results, _, err := bench.LoadResults(out)
	if err != nil || len(results) != demoJobs {
		t.Errorf("LoadResults: %d records, %v", len(results), err)
	}
	for _, r := range results {
		if r.Failed() {
			t.Errorf("%s: failed record kept: %s %s", r.Key(), r.CutReason, r.Error)
		}
	}

	// A third run has nothing to do.
	stdout, stderr, code = reinBench(t, context.Background(), nil, args...)
	if code != 0 || !strings.Contains(stderr, fmt.Sprintf("skipped %d runs already in", demoJobs)) || !strings.HasPrefix(stdout, "0 runs: ") {
		t.Errorf("third bench: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	if n := len(rawRecords(t, out)); n != len(all) {
		t.Errorf("the third bench wrote %d records", n-len(all))
	}
}

// TestBenchSuiteFile runs a suite file with a failing check and a case with
// none, over two repeats and two host spellings of the same server.
func TestBenchSuiteFile(t *testing.T) {
	s := needModels(t)
	dir := t.TempDir()
	suite := filepath.Join(dir, "suite.yaml")
	if err := os.WriteFile(suite, []byte(`name: mine
cases:
  - id: wrong
    prompt: "What is 17*3?"
    check: {number: 52}
  - id: measured
    prompt: "Just think."
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "r.jsonl")
	port := s.Host[strings.LastIndex(s.Host, ":")+1:]
	hostB := "http://localhost:" + port
	stdout, stderr, code := reinBench(t, context.Background(), nil, "--models", "t/closer", "--suite", suite,
		"--repeats", "2", "--seed", "5", "--max-tokens", "500", "--num-ctx", "4096", "--no-warmup",
		"--host", s.Host, "--host", hostB, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "4 runs: 0 passed, 2 failed, 2 unchecked; 0 skipped; ") || !strings.HasSuffix(stdout, out+"\n") {
		t.Errorf("stdout %q", stdout)
	}
	hosts := map[string]int{}
	seeds := map[string]bool{}
	for _, rec := range rawRecords(t, out) {
		b, _ := rec["budgets"].(map[string]any)
		if b["max_tokens"] != float64(500) || b["num_ctx"] != float64(4096) || b["loop"] != float64(budget.DefaultLoop) {
			t.Errorf("%s: budgets %v", rawKey(rec), b)
		}
		hosts[str(rec, "host")]++
		seeds[fmt.Sprint(rec["repeat"], "/", rec["seed"])] = true
		switch str(rec, "case") {
		case "wrong":
			c, _ := rec["check"].(map[string]any)
			if c["pass"] != false || c["detail"] == "" {
				t.Errorf("%s: check %v, want a failure with a detail", rawKey(rec), rec["check"])
			}
		case "measured":
			if v, ok := rec["check"]; !ok || v != nil {
				t.Errorf("%s: check %v, want null", rawKey(rec), v)
			}
		default:
			t.Errorf("unknown case %q", str(rec, "case"))
		}
	}
	if !seeds["0/5"] || !seeds["1/6"] || len(seeds) != 2 {
		t.Errorf("repeat/seed pairs %v, want 0/5 and 1/6", seeds)
	}
	if hosts[s.Host]+hosts["localhost:"+port] != 4 || hosts[s.Host] == 0 || hosts["localhost:"+port] == 0 {
		t.Errorf("runs per host %v: want both hosts used", hosts)
	}
}

// TestBenchErrors: bad command lines, a host that does not answer and a
// model that is not there.
func TestBenchErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\ncases:\n  - id: a\n    prompt: hi\n    check: {numbr: 3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad2 := filepath.Join(t.TempDir(), "bad2.yaml")
	if err := os.WriteFile(bad2, []byte("name: x\ncases:\n  - id: a\n    prompt: hi\n    check: {numbr: 3}\n  - id: b\n    check: {number: 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--models", "m"}, exitUsage, "--suite is required"},
		{[]string{"--suite", "seed"}, exitUsage, "--models is required"},
		{[]string{"--suite", "seed", "--models", "m", "--budgets", "steps=x"}, exitUsage, "steps wants a whole number"},
		{[]string{"--suite", "seed", "--models", "m", "--budgets", "steps=2,2"}, exitUsage, "given twice"},
		{[]string{"--suite", "seed", "--models", "m", "--repeats", "0"}, exitUsage, "--repeats must be 1 or more"},
		{[]string{"--suite", "seed", "--models", "m,m"}, exitUsage, "m given twice"},
		{[]string{"--suite", "seed", "--models", "m", "--host", "ftp://x"}, exitUsage, `scheme "ftp"`},
		{[]string{"--suite", missing, "--models", "m"}, exitError, "nope.yaml"},
		{[]string{"--suite", bad, "--models", "m"}, exitError, "bad.yaml:5"},
		{[]string{"--suite", bad2, "--models", "m"}, exitError, "; and 2 more problems"},
		{[]string{"--suite", "demo", "--models", "other"}, exitUsage, "no case of suite demo runs on other"},
		{[]string{"--suite", "seed", "--models", "m", "--host", "127.0.0.1:1"}, exitError, "cannot reach Ollama at http://127.0.0.1:1"},
		{[]string{"--suite", "seed", "extra"}, exitUsage, "unknown command"},
	}
	if srv != nil && !testing.Short() {
		tests = append(tests, struct {
			args []string
			code int
			msg  string
		}{[]string{"--suite", "seed", "--models", "nope/missing", "--host", srv.Host}, exitError, "model nope/missing not found: run `rein pull nope/missing`"})
	}
	for _, tt := range tests {
		out := filepath.Join(t.TempDir(), "r.jsonl")
		stdout, stderr, code := reinBench(t, context.Background(), nil, append(tt.args, "-o", out)...)
		if code != tt.code || !strings.Contains(stderr, tt.msg) || strings.Count(stderr, "rein: ") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want %d and one line with %q", tt.args, code, stderr, tt.code, tt.msg)
		}
		if stdout != "" {
			t.Errorf("%q: stdout %q", tt.args, stdout)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%q: wrote %s", tt.args, out)
		}
	}
}
