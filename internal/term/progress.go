package term

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// BenchProgress shows the bench's progress on stderr: one bar for the
// whole matrix with an ETA on a terminal, redrawn each second so that its
// clock moves during long runs; else a plain line now and then.
type BenchProgress struct {
	w       io.Writer
	tty     bool
	color   bool
	results string
	now     func() time.Time

	// mu serialises the bar's updates and its redraws.
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	tick  *time.Ticker
	done  chan struct{}
	start time.Time
	last  time.Time
	// lineEvery is the least time between two plain lines.
	lineEvery time.Duration
	lastDone  int
	started   bool
}

// NewBenchProgress shows a bench's progress on ios.ErrOut; now is its
// clock (nil: time.Now).
func NewBenchProgress(ios *IOStreams, results string, now func() time.Time) *BenchProgress {
	if now == nil {
		now = time.Now
	}
	return &BenchProgress{w: ios.ErrOut, tty: ios.ErrIsTerminal, color: ios.Color, results: results,
		now: now, lineEvery: 2 * time.Second, lastDone: -1}
}

// Update is bench.Options.Progress: calls are serialised.
func (p *BenchProgress) Update(done, total, skipped int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started {
		p.started = true
		p.start = p.now()
		if skipped > 0 {
			fmt.Fprintf(p.w, "skipped %s already in %s\n", Plural(skipped, "run"), p.results)
		}
		if total == 0 {
			return
		}
		if p.tty {
			w := p.w
			p.bar = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription("bench"),
				progressbar.OptionShowCount(),
				progressbar.OptionSetWidth(30),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionSetElapsedTime(true),
				progressbar.OptionShowElapsedTimeOnFinish(),
				progressbar.OptionEnableColorCodes(p.color),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
			)
			_ = p.bar.RenderBlank()
			p.tick, p.done = time.NewTicker(time.Second), make(chan struct{})
			go p.redraw(p.tick, p.done)
		}
	}
	if total == 0 {
		return
	}
	if p.bar != nil {
		_ = p.bar.Set(done)
		return
	}
	now := p.now()
	if done == 0 || done == p.lastDone || (done < total && now.Sub(p.last) < p.lineEvery) {
		return
	}
	p.last, p.lastDone = now, done
	el := now.Sub(p.start)
	line := fmt.Sprintf("bench: %d/%d runs (%d%%), %s elapsed", done, total, done*100/total, el.Round(time.Second))
	if done < total {
		left := time.Duration(float64(el) / float64(done) * float64(total-done))
		line += fmt.Sprintf(", about %s left", left.Round(time.Second))
	}
	fmt.Fprintln(p.w, line)
}

// redraw redraws the bar each tick until it finishes or stop is called.
func (p *BenchProgress) redraw(t *time.Ticker, done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case <-t.C:
			p.mu.Lock()
			if p.bar != nil && !p.bar.IsFinished() {
				_ = p.bar.RenderBlank()
			}
			p.mu.Unlock()
		}
	}
}

// Stop stops the redraws and ends the bar's line when the bench stopped
// before the end.
func (p *BenchProgress) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tick != nil {
		p.tick.Stop()
		close(p.done)
		p.tick = nil
	}
	if p.bar != nil && !p.bar.IsFinished() {
		_ = p.bar.Exit() // its completion hook ends the line
	}
}

// Warn prints a line above the progress bar (or between the plain lines).
func (p *BenchProgress) Warn(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil && !p.bar.IsFinished() {
		fmt.Fprint(p.w, "\r\033[K")
		fmt.Fprintln(p.w, line)
		_ = p.bar.RenderBlank()
		return
	}
	fmt.Fprintln(p.w, line)
}
