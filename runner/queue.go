package runner

// Queueing at the server: a bench with --parallel N, or N clients of the
// proxy at once, send more requests than a server started with a lower
// OLLAMA_NUM_PARALLEL runs at once. The server's parallelism is not in its
// API, so it is read from what happened: a pass whose time on the client is
// far beyond what the server says it spent on it (loading, prompt
// evaluation, generation) waited in the server's queue for a slot (the
// model runner takes a request once a slot is free, and that wait is in
// none of its durations).

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// queueMin is the least unexplained wait that counts as queueing; a pass
// must also have waited at least as long as the server worked on it.
const queueMin = 500 * time.Millisecond

// QueueWait returns how long the pass of rec that waited longest in the
// server's queue waited, 0 when none did: of the passes with the server's
// figures, the time on the client less load, prompt evaluation and
// generation, where that is at least queueMin and at least the server's
// own time.
func QueueWait(rec *Record) time.Duration {
	if rec == nil {
		return 0
	}
	var worst float64
	for _, p := range rec.Passes {
		if !p.final {
			continue // closed before its final chunk: no server figures
		}
		server := p.LoadMS + p.PromptEvalMS + p.EvalMS
		wait := p.WallMS - server
		if wait >= ms(queueMin) && wait >= server {
			worst = max(worst, wait)
		}
	}
	return time.Duration(worst * float64(time.Millisecond))
}

// QueueWatch watches the runs sent to one server: which of them ran while
// another one was in flight (Begin), and it gives the queue warning once.
// A run alone cannot have waited for one of its own: a client starved of
// CPU, or another client of the server, looks the same, and neither is
// what --parallel or OLLAMA_NUM_PARALLEL changes.
type QueueWatch struct {
	warned atomic.Bool

	mu       sync.Mutex
	inFlight int
	starts   uint64
}

// Begin marks a run to the server as started; end, called once it ended,
// reports whether another run to the server was in flight meanwhile.
func (w *QueueWatch) Begin() (end func() (overlapped bool)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	others, at := w.inFlight > 0, w.starts
	w.inFlight++
	w.starts++
	return func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.inFlight--
		return others || w.starts > at+1
	}
}

// Warning returns, the first time a run that overlapped another one shows
// a pass that waited in the server's queue, the warning to print, ending
// with advice (what to set); "" otherwise.
func (w *QueueWatch) Warning(rec *Record, overlapped bool, advice string) string {
	if !overlapped {
		return ""
	}
	d := QueueWait(rec)
	if d <= 0 || !w.warned.CompareAndSwap(false, true) {
		return ""
	}
	return fmt.Sprintf("warning: a request waited %s in the server's queue: the server runs fewer requests at once than rein sends it, so runs take longer (their time budgets count thinking only); %s",
		d.Round(100*time.Millisecond), advice)
}
