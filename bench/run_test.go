package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeRunner answers like a scripted model: the answer is given per case.
type fakeRunner struct {
	name    string
	answers map[string]string // case id -> answer
	mu      sync.Mutex
	calls   []Job
	running atomic.Int32
	peak    atomic.Int32
	delay   time.Duration
	block   bool // wait for the context, then return an interrupted record
	err     error
}

func (f *fakeRunner) Run(ctx context.Context, j Job) (*Record, error) {
	f.mu.Lock()
	f.calls = append(f.calls, j)
	f.mu.Unlock()
	n := f.running.Add(1)
	defer f.running.Add(-1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	rec := &Record{Host: f.name}
	rec.RunID, rec.Model, rec.Prompt, rec.Thinking = "r", j.Model, j.Prompt, "hmm"
	rec.Answer, rec.Steps, rec.Metrics.ThinkingTokens = f.answers[j.Case.ID], 2, 10
	if f.block && !j.Warmup {
		<-ctx.Done()
		rec.CutReason, rec.Answer = "interrupted", ""
		return rec, ctx.Err()
	}
	if f.err != nil {
		return nil, f.err
	}
	time.Sleep(f.delay)
	return rec, nil
}

func (f *fakeRunner) jobs(warmup bool) []Job {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Job
	for _, j := range f.calls {
		if j.Warmup == warmup {
			out = append(out, j)
		}
	}
	return out
}

func testMatrix(t *testing.T) []Job {
	t.Helper()
	s, err := ParseSuite("s.yaml", []byte(`cases:
  - {id: mult, prompt: "17*3?", prompts: {fr: "17*3 ?"}, check: {number: 51}}
  - {id: who, prompt: "Who are you?"}
`))
	if err != nil {
		t.Fatal(err)
	}
	budgets, _ := ParseBudgets("steps=2,none")
	return Jobs([]string{"m1", "m2"}, s, budgets, 2, 1) // 2 models × 2 repeats × 3 prompts × 2 budgets = 24
}

var answers = map[string]string{"mult": "17 × 3 = 51.", "who": "I am a model."}

func loadAll(t *testing.T, path string) ([]Result, []string) {
	t.Helper()
	rs, warns, err := LoadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	return rs, warns
}

func TestRun(t *testing.T) {
	jobs := testMatrix(t)
	out := filepath.Join(t.TempDir(), "results.jsonl")
	f := &fakeRunner{answers: answers}
	var progress [][3]int
	sum, err := Run(context.Background(), f, jobs, Options{Out: out, Warmup: true, Parallel: 3,
		Progress: func(done, total, skipped int) { progress = append(progress, [3]int{done, total, skipped}) }})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Total != 24 || sum.Ran != 24 || sum.Skipped != 0 || sum.Passed != 16 || sum.Unchecked != 8 || sum.Failed != 0 {
		t.Errorf("summary %+v", sum)
	}
	if len(progress) != 25 || progress[0] != [3]int{0, 24, 0} || progress[24] != [3]int{24, 24, 0} {
		t.Errorf("progress %v", progress)
	}
	if w := f.jobs(true); len(w) != 2 || w[0].Budget.Text != "warmup" {
		t.Errorf("warm-ups %+v, want one per model", w)
	}
	if p := f.peak.Load(); p > 3 {
		t.Errorf("%d runs at once, want ≤ 3", p)
	}
	rs, warns := loadAll(t, out)
	if len(rs) != 24 || len(warns) != 0 {
		t.Fatalf("%d results, warnings %q", len(rs), warns)
	}
	keys := map[string]bool{}
	for _, r := range rs {
		keys[r.Key()] = true
		switch r.Case {
		case "mult":
			if r.Check == nil || !r.Check.Pass || r.Check.Detail != "number 51" {
				t.Errorf("%s: check %+v", r.Key(), r.Check)
			}
		case "who":
			if r.Check != nil {
				t.Errorf("%s: check %+v on a case with none", r.Key(), r.Check)
			}
		}
	}
	for _, j := range jobs {
		if !keys[Key(j)] {
			t.Errorf("no record for %s", Key(j))
		}
	}
	// The raw record keeps the runner's keys and has check: null.
	data, _ := os.ReadFile(out)
	if !strings.Contains(string(data), `"check":null`) || !strings.Contains(string(data), `"budget":"steps=2"`) ||
		!strings.Contains(string(data), `"variant":"fr"`) || !strings.Contains(string(data), `"host":""`) || !strings.Contains(string(data), `"run_id":"r"`) {
		t.Errorf("records lack keys:\n%.600s", data)
	}

	// Running again skips everything and runs nothing.
	f2 := &fakeRunner{answers: answers}
	sum, err = Run(context.Background(), f2, jobs, Options{Out: out, Warmup: true})
	if err != nil || sum.Skipped != 24 || sum.Ran != 0 || len(f2.calls) != 0 {
		t.Errorf("rerun: %+v, %v, %d calls", sum, err, len(f2.calls))
	}
}

func TestRunResumesAfterTornLineAndInterruption(t *testing.T) {
	jobs := testMatrix(t)
	out := filepath.Join(t.TempDir(), "results.jsonl")
	f := &fakeRunner{answers: answers}
	if _, err := Run(context.Background(), f, jobs[:5], Options{Out: out}); err != nil {
		t.Fatal(err)
	}
	// An interrupted record of job 5, an error record of job 6, and a
	// torn last line (no newline).
	file, err := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	line := func(j Job, extra string) string {
		return `{"model":"` + j.Model + `","case":"` + j.Case.ID + `","variant":"` + j.Variant + `","budget":"` +
			j.Budget.Text + `","repeat":` + itoa(j.Repeat) + `,"seed":` + itoa(j.Seed) + extra + "}\n"
	}
	file.WriteString(line(jobs[5], `,"cut_reason":"interrupted"`))
	file.WriteString(line(jobs[6], `,"cut_reason":"error","error":"server went away"`))
	file.WriteString(`{"model":"m1","case":"mu`)
	file.Close()

	f2 := &fakeRunner{answers: answers}
	sum, err := Run(context.Background(), f2, jobs, Options{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped != 5 || sum.Ran != 19 || len(sum.Warnings) == 0 {
		t.Errorf("summary %+v", sum)
	}
	rs, warns := loadAll(t, out)
	if len(rs) != 24 {
		t.Errorf("%d results after resume, want 24", len(rs))
	}
	for _, r := range rs {
		if r.Failed() {
			t.Errorf("%s: the failed record won over the rerun", r.Key())
		}
	}
	// The torn line was reported, then cut off: no record is glued to it.
	if joined := strings.Join(sum.Warnings, "\n"); !strings.Contains(joined, "torn") {
		t.Errorf("summary warnings %q", sum.Warnings)
	}
	joined := strings.Join(warns, "\n")
	if strings.Contains(joined, "not a run record") || !strings.Contains(joined, "recorded more than once") {
		t.Errorf("warnings %q", warns)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestRunCancelLosesNothing(t *testing.T) {
	jobs := testMatrix(t)
	out := filepath.Join(t.TempDir(), "results.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Int32
	blocker := RunnerFunc(func(ctx context.Context, j Job) (*Record, error) {
		if started.Add(1) == 4 { // cancel once 3 runs are done and 1 in flight
			cancel()
		}
		f := &fakeRunner{answers: answers, block: started.Load() >= 4}
		return f.Run(ctx, j)
	})
	sum, err := Run(ctx, blocker, jobs, Options{Out: out})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want canceled", err)
	}
	if sum.Ran != 4 || sum.Interrupted != 1 {
		t.Errorf("summary %+v, want 3 done and 1 interrupted", sum)
	}
	if n := started.Load(); n != 4 {
		t.Errorf("%d runs started after the cancel point, want 4", n)
	}
	// The interrupted run is on file, and the rerun does it again.
	rs, _ := loadAll(t, out)
	if len(rs) != 4 || rs[3].CutReason != "interrupted" {
		t.Fatalf("results %+v", rs)
	}
	f := &fakeRunner{answers: answers}
	sum, err = Run(context.Background(), f, jobs, Options{Out: out, Parallel: 4})
	if err != nil || sum.Skipped != 3 || sum.Ran != 21 {
		t.Errorf("resume: %+v, %v", sum, err)
	}
	rs, _ = loadAll(t, out)
	if len(rs) != 24 {
		t.Errorf("%d results, want 24", len(rs))
	}
}

func TestRunSpreadsOverRunners(t *testing.T) {
	jobs := testMatrix(t)
	out := filepath.Join(t.TempDir(), "results.jsonl")
	a := &fakeRunner{name: "a", answers: answers, delay: 2 * time.Millisecond}
	b := &fakeRunner{name: "b", answers: answers, delay: 2 * time.Millisecond}
	sum, err := Run(context.Background(), a, jobs, Options{Out: out, Runners: []Runner{nil, b}, Parallel: 2, Warmup: true})
	if err != nil || sum.Ran != 24 {
		t.Fatalf("%+v, %v", sum, err)
	}
	na, nb := len(a.jobs(false)), len(b.jobs(false))
	if na+nb != 24 || na == 0 || nb == 0 {
		t.Errorf("runner a ran %d, b ran %d", na, nb)
	}
	// Each runner warms each model it ran up once.
	for _, f := range []*fakeRunner{a, b} {
		models := map[string]int{}
		for _, j := range f.jobs(true) {
			models[j.Model]++
		}
		for m, n := range models {
			if n != 1 {
				t.Errorf("runner %s warmed %s up %d times", f.name, m, n)
			}
		}
	}
}

func TestRunErrors(t *testing.T) {
	jobs := testMatrix(t)
	dir := t.TempDir()

	// A run that fails is recorded with its error, and retried next time.
	out := filepath.Join(dir, "a.jsonl")
	f := &fakeRunner{answers: answers, err: errors.New("boom")}
	sum, err := Run(context.Background(), f, jobs[:2], Options{Out: out})
	if err != nil || sum.Errors != 2 || sum.Ran != 2 {
		t.Errorf("%+v, %v", sum, err)
	}
	rs, _ := loadAll(t, out)
	if len(rs) != 2 || rs[0].Error != "boom" || rs[0].Model != "m1" || rs[0].CutReason != "error" {
		t.Errorf("records %+v", rs)
	}
	sum, _ = Run(context.Background(), &fakeRunner{answers: answers}, jobs[:2], Options{Out: out})
	if sum.Skipped != 0 || sum.Ran != 2 {
		t.Errorf("retry: %+v", sum)
	}

	// A failed warm-up stops the bench before any run.
	out = filepath.Join(dir, "b.jsonl")
	f = &fakeRunner{answers: answers, err: errors.New("model not found")}
	sum, err = Run(context.Background(), f, jobs, Options{Out: out, Warmup: true, Parallel: 2})
	if err == nil || !strings.Contains(err.Error(), "warm-up of m1: model not found") || sum.Ran != 0 {
		t.Errorf("warm-up failure: %+v, %v", sum, err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() != 0 {
		t.Errorf("a failed warm-up wrote records: %v", err)
	}

	if _, err := Run(context.Background(), f, jobs, Options{}); err == nil {
		t.Error("no Out: no error")
	}
	if _, err := Run(context.Background(), nil, jobs, Options{Out: out}); err == nil {
		t.Error("no runner: no error")
	}
}
