package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/runlog"
)

// Runner runs one job and returns its record (HostRunner runs it with the
// runner on one server). On an error or an interruption it should still
// return the record it has (cut_reason "error" or "interrupted"); Run
// writes it. The runner maps the job to a request: Prompt, Case.System,
// Seed, and the budget (MaxSteps, MaxThinkTokens, MaxThinkTime,
// LoopCut()), and should set keep_alive so the model stays loaded; a
// Warmup job only needs to load the model. Run fills the bench's keys
// (case, variant, budget, repeat, seed, reasoning, check) before writing
// the record.
type Runner interface {
	Run(ctx context.Context, job Job) (*Record, error)
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context, job Job) (*Record, error)

// Run calls f.
func (f RunnerFunc) Run(ctx context.Context, job Job) (*Record, error) { return f(ctx, job) }

// Options configure Run.
type Options struct {
	// Out is the results JSONL file; records are appended to it, and runs
	// already in it are skipped.
	Out string
	// Parallel is how many runs go at once on each runner (each host);
	// < 1 means 1. Use it with servers started with OLLAMA_NUM_PARALLEL.
	Parallel int
	// Runners are more runners, typically one per extra Ollama host
	// (--host given several times). The matrix is spread over the runner
	// passed to Run and these: each has Parallel workers that take the
	// next job when free, so a faster host takes more jobs.
	Runners []Runner
	// Warmup makes one unrecorded run per model on each runner before the
	// model's first job there. A warm-up error stops the bench: the model
	// is not there or the host is down.
	Warmup bool
	// MaxConnFailures is how many runs in a row on one runner may fail to
	// reach its server before the bench stops (a dead server), leaving the
	// rest of the matrix to the next Run; 0 means 3, < 0 never stops.
	MaxConnFailures int
	// Progress, when set, is called with the number of jobs done in this
	// call, the number to do (the jobs less those skipped) and the number
	// skipped: once at the start and after each job. Calls are serialised.
	Progress func(done, total, skipped int)
}

// Summary tells what Run did.
type Summary struct {
	// Total is the number of jobs given; Skipped those already in Out.
	Total, Skipped int
	// Ran counts the records written: Passed + Failed + Unchecked +
	// Errors + Interrupted.
	Ran int
	// Passed, Failed and Unchecked count the finished runs, by their check.
	Passed, Failed, Unchecked int
	// Errors counts runs that ended in an error, Interrupted those cut by
	// the cancellation; both are retried when the bench runs again, and
	// neither is scored.
	Errors, Interrupted int
	// Warnings are about the existing results file (a torn last line).
	Warnings []string
	Elapsed  time.Duration
}

// Run runs the jobs not already recorded in opts.Out and appends one
// record per run to it, as soon as each run ends, so a bench killed
// halfway loses nothing it finished. A record is the runner's record plus
// case, variant, budget, repeat, seed and check ({pass, detail}, or null
// when the case has no check).
//
// When ctx is cancelled, Run starts no more jobs; the runs in flight
// record what they have (cut_reason "interrupted"), and Run returns the
// context's error. Records that are interrupted or carry an error do not
// count as done: the next Run does them again.
func Run(ctx context.Context, runner Runner, jobs []Job, opts Options) (Summary, error) {
	start := time.Now()
	sum := Summary{Total: len(jobs)}
	if opts.Out == "" {
		return sum, errors.New("bench: no results file")
	}
	var runners []Runner
	for _, r := range append([]Runner{runner}, opts.Runners...) {
		if r != nil {
			runners = append(runners, r)
		}
	}
	if len(runners) == 0 {
		return sum, errors.New("bench: no runner")
	}
	// One bench per results file: the lock is held until the bench ends.
	out, torn, err := hooks.LockJSONL(opts.Out)
	if errors.Is(err, hooks.ErrLocked) {
		return sum, fmt.Errorf("bench: results file %s is in use by another bench: wait for it to end, or choose another results file", opts.Out)
	}
	if err != nil {
		return sum, fmt.Errorf("bench: %w", err)
	}
	defer out.Close()
	done, warnings, err := doneKeys(opts.Out)
	sum.Warnings = warnings
	if torn > 0 && len(warnings) == 0 {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s: cut off its torn last line (%d bytes of a write cut short)", opts.Out, torn))
	}
	if err != nil {
		return sum, err
	}
	var pending []Job
	queued := map[string]bool{}
	for _, j := range jobs {
		k := Key(j)
		if done[k] || queued[k] {
			sum.Skipped++
			continue
		}
		queued[k] = true
		pending = append(pending, j)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	b := &benchRun{opts: opts, out: out, sum: &sum, total: len(pending), cancel: cancel}
	b.progress()

	ch := make(chan Job)
	var wg sync.WaitGroup
	for _, r := range runners {
		w := &worker{b: b, r: r, warm: map[string]*warmup{}}
		for range max(opts.Parallel, 1) {
			wg.Go(func() { w.loop(ctx, ch) })
		}
	}
feed:
	for _, j := range pending {
		select {
		case <-ctx.Done():
			break feed
		case ch <- j:
		}
	}
	close(ch)
	wg.Wait()
	sum.Elapsed = time.Since(start)
	if b.fatal != nil {
		return sum, b.fatal
	}
	return sum, ctx.Err()
}

type benchRun struct {
	opts   Options
	out    *hooks.LockedJSONL
	cancel context.CancelCauseFunc

	mu    sync.Mutex
	sum   *Summary
	total int
	done  int
	fatal error
}

func (b *benchRun) progress() {
	if b.opts.Progress != nil {
		b.opts.Progress(b.done, b.total, b.sum.Skipped)
	}
}

func (b *benchRun) fail(err error) {
	b.mu.Lock()
	if b.fatal == nil {
		b.fatal = err
	}
	b.mu.Unlock()
	b.cancel(err)
}

type warmup struct {
	once sync.Once
	err  error
}

// worker holds one runner's state, shared by its Parallel goroutines.
type worker struct {
	b    *benchRun
	r    Runner
	mu   sync.Mutex
	warm map[string]*warmup
	// connFails counts this runner's runs in a row that could not reach
	// its server.
	connFails int
}

func (w *worker) loop(ctx context.Context, ch <-chan Job) {
	for j := range ch {
		if ctx.Err() != nil {
			continue // drain: start nothing more
		}
		if w.b.opts.Warmup {
			if err := w.warmup(ctx, j); err != nil {
				if ctx.Err() == nil {
					w.b.fail(err)
				}
				continue
			}
		}
		w.one(ctx, j)
	}
}

// warmup runs the model's warm-up once on this runner; other workers of
// the runner wait for it.
func (w *worker) warmup(ctx context.Context, j Job) error {
	w.mu.Lock()
	wu, ok := w.warm[j.Model]
	if !ok {
		wu = &warmup{}
		w.warm[j.Model] = wu
	}
	w.mu.Unlock()
	wu.once.Do(func() {
		wj := j
		wj.Warmup, wj.Budget, wj.Repeat = true, WarmupBudget, -1
		rec, err := w.r.Run(ctx, wj)
		if err == nil && rec != nil && rec.Error != "" {
			err = errors.New(rec.Error)
		}
		if err != nil {
			wu.err = fmt.Errorf("warm-up of %s: %w", j.Model, err)
		}
	})
	return wu.err
}

// one runs a job, scores it and appends its record.
func (w *worker) one(ctx context.Context, j Job) {
	rec, err := w.r.Run(ctx, j)
	if rec == nil {
		rec = &Record{}
		rec.Time, rec.Prompt, rec.CutReason = time.Now(), j.Prompt, hooks.ReasonError
		if ctx.Err() != nil {
			rec.CutReason = hooks.ReasonInterrupted
		}
	}
	if err != nil && rec.Error == "" {
		rec.Error = err.Error()
	}
	if rec.Model == "" {
		rec.Model = j.Model
	}
	if j.Case != nil {
		rec.Case = j.Case.ID
	}
	rec.Variant, rec.Budget, rec.Repeat, rec.Seed = j.Variant, j.Budget.Text, j.Repeat, j.Seed
	rec.Reasoning, rec.Check = j.Reasoning, nil
	if j.Case != nil && j.Case.Check != nil {
		pass, detail := j.Case.Check.Score(rec.Thinking, rec.Answer)
		rec.Check = &CheckResult{Pass: pass, Detail: detail}
	}
	check := rec.Check
	_, werr := runlog.Finish(runlog.Output{Log: runlog.Results{LockedJSONL: w.b.out}}, rec, nil, nil)
	w.countConnFailure(ctx, err, rec)

	b := w.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if werr != nil {
		if b.fatal == nil {
			b.fatal = werr
		}
		b.cancel(werr)
		return
	}
	s := b.sum
	s.Ran++
	switch {
	case rec.CutReason == hooks.ReasonInterrupted:
		s.Interrupted++ // retried next time, not scored
	case rec.Error != "" || rec.CutReason == hooks.ReasonError:
		s.Errors++ // retried next time, not scored
	case check == nil:
		s.Unchecked++
	case check.Pass:
		s.Passed++
	default:
		s.Failed++
	}
	b.done++
	b.progress()
}

// countConnFailure keeps count of the runner's runs in a row that could
// not reach its server, and stops the bench when there are too many: the
// server is down, and the rest of the matrix waits for the next Run.
func (w *worker) countConnFailure(ctx context.Context, err error, rec *Record) {
	limit := w.b.opts.MaxConnFailures
	if limit == 0 {
		limit = 3
	}
	if limit < 0 || ctx.Err() != nil {
		return
	}
	w.mu.Lock()
	if connFailure(err) {
		w.connFails++
	} else {
		w.connFails = 0
	}
	n := w.connFails
	w.mu.Unlock()
	if n >= limit {
		w.b.fail(&ServerDownError{Host: rec.Host, Failures: n, Cause: err.Error()})
	}
}

// doneKeys reads the keys of the complete runs already in a results file.
func doneKeys(path string) (map[string]bool, []string, error) {
	done := map[string]bool{}
	results, warnings, err := LoadResults(path)
	if err != nil {
		return nil, warnings, err
	}
	for i := range results {
		if r := &results[i]; r.Case != "" && !r.Failed() {
			done[r.Key()] = true
		}
	}
	return done, warnings, nil
}
