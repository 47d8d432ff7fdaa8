package runner

// The timers of a pass: a stream that goes silent, and the time budget's
// deadline, which comes on the run's clock whether tokens arrive or not.
//
// Once a pass's first chunk has come, a timer watches its stream. It fires
//
//   - at the time budget's deadline: the thinking time left when the last
//     thinking token came, counted from that token (the thinking clock
//     counts the gaps between tokens, so a silence is thinking time);
//   - after IdleTimeout of silence: a cut for the time budget when one is
//     set and the model is thinking, else an error that names the model
//     and says what to do. (Clients made by models.NewClient end a silent
//     body at the same limit with an error that names the server; the
//     runner reads that error the same way.)
//
// Firing closes the stream by cancelling the pass's context, as a hook's
// cut does, so the wedge guard (wedge.go) sees a stream abandoned
// mid-way. The timer never touches the run: it cancels, and the run's own
// goroutine applies the outcome once the stream call has returned
// (timerOutcome). A chunk that comes while the timer decides is either
// handled before it fires or dropped after.
//
// The wait for a pass's first chunk is not watched here: Ollama sends it
// with the headers, after loading the model and evaluating the prompt, and
// the client's stream header limit (models.Timeouts.Stream) bounds it.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/models"
)

// idleTimeout is the silence a stream may keep between two chunks:
// REIN_IDLE_TIMEOUT, or models.DefaultIdleTimeout; 0 means none. Tests
// replace it.
var idleTimeout = models.IdleTimeout

// idleGrace is how much later than the client's idle limit the runner's
// own ends a silent stream that it does not cut: a client made by
// models.NewClient reports it first, naming the server.
const idleGrace = time.Second

// errTimerFired ends a stream call whose timer fired.
var errTimerFired = errors.New("the stream's timer fired")

type fireKind int

const (
	fireNone fireKind = iota
	fireTime          // the time budget is spent: cut
	fireIdle          // the stream went silent: an error
)

// passTimer watches one pass's stream.
type passTimer struct {
	cancel context.CancelFunc
	idle   time.Duration

	mu       sync.Mutex
	timer    *time.Timer
	busy     bool      // a chunk is being handled
	done     bool      // the stream call returned
	idleAt   time.Time // when the silence becomes too long, zero for never
	budgetAt time.Time // the time budget's deadline (real clock), zero for none
	runAt    time.Time // the same deadline on the run's clock (Runner.Now)
	now      func() time.Time
	cutIdle  bool // a silence cuts (a time budget is set, and thinking)
	fired    fireKind
}

// startTimer returns the timer of a pass whose stream cancel closes.
func (rn *run) startTimer(cancel context.CancelFunc) *passTimer {
	return &passTimer{cancel: cancel, idle: idleTimeout(), now: rn.r.now}
}

// enter is called when a chunk comes; false means the timer has fired and
// the chunk is dropped.
func (t *passTimer) enter() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fired != fireNone {
		return false
	}
	t.busy = true
	return true
}

// leave is called, on the run's goroutine, once the chunk is handled: the
// timer is set from the run's state.
func (t *passTimer) leave(rn *run) {
	now := time.Now()
	var budgetAt, runAt time.Time
	timed := false
	if d := rn.lim.MaxThinkTime; d > 0 && rn.stop == stopNone && rn.state().Thinking() {
		timed = true
		if rn.thinkTimed > 0 && rn.thinkPassN == len(rn.rec.Passes) {
			// The clock runs from the last thinking token of this pass.
			left := d - rn.thinkSpent - (rn.elapsed() - rn.thinkLast)
			budgetAt, runAt = now.Add(left), rn.r.now().Add(left)
		}
	}
	final := rn.done // the pass's last chunk: nothing more to wait for
	t.mu.Lock()
	defer t.mu.Unlock()
	t.busy = false
	if t.done || t.fired != fireNone {
		return
	}
	if final {
		if t.timer != nil {
			t.timer.Stop()
		}
		return
	}
	t.budgetAt, t.runAt, t.cutIdle = budgetAt, runAt, timed
	t.idleAt = time.Time{}
	if t.idle > 0 {
		t.idleAt = now.Add(t.idle)
		if !timed {
			// The client's own limit, which names the server, comes first.
			t.idleAt = t.idleAt.Add(idleGrace)
		}
	}
	t.arm(now)
}

// arm sets the timer for the earlier deadline; t.mu is held.
func (t *passTimer) arm(now time.Time) {
	next := t.idleAt
	if !t.budgetAt.IsZero() && (next.IsZero() || t.budgetAt.Before(next)) {
		next = t.budgetAt
	}
	if next.IsZero() {
		if t.timer != nil {
			t.timer.Stop()
		}
		return
	}
	d := max(next.Sub(now), 0)
	if t.timer == nil {
		t.timer = time.AfterFunc(d, t.fire)
	} else {
		t.timer.Reset(d)
	}
}

// fire runs on the timer's goroutine.
func (t *passTimer) fire() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done || t.busy || t.fired != fireNone {
		return // leave or stop sets it again
	}
	now := time.Now()
	if !t.budgetAt.IsZero() && !now.Before(t.budgetAt) {
		if left := t.runAt.Sub(t.now()); left > 0 {
			// The run's clock is a caller's (a test's) and has not
			// reached the deadline: wait for it.
			t.budgetAt = now.Add(left)
		}
	}
	switch {
	case !t.budgetAt.IsZero() && !now.Before(t.budgetAt):
		t.fired = fireTime
	case !t.idleAt.IsZero() && !now.Before(t.idleAt):
		t.fired = fireIdle
		if t.cutIdle {
			t.fired = fireTime
		}
	default:
		t.arm(now) // not yet: a timer reset as it fired, or a caller's clock
		return
	}
	t.cancel()
}

// stop ends the watch and returns what fired.
func (t *passTimer) stop() fireKind {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done = true
	if t.timer != nil {
		t.timer.Stop()
	}
	return t.fired
}

// timerOutcome applies what the pass's timer did, on the run's goroutine,
// once the stream call returned err; it returns the pass's error.
func (rn *run) timerOutcome(ctx context.Context, t *passTimer, err error) error {
	fired := t.stop()
	var te *models.TimeoutError
	if fired == fireNone && errors.As(err, &te) && te.Idle && rn.lim.MaxThinkTime > 0 && rn.state().Thinking() {
		// The client ended the silent stream first.
		fired = fireTime
	}
	if fired == fireNone || ctx.Err() != nil {
		return err
	}
	if rn.stop != stopNone {
		// A cut was pending (or the stream closed for another reason):
		// the engine applies it as usual.
		return nil
	}
	switch fired {
	case fireTime:
		if !rn.state().Thinking() {
			return err
		}
		if rn.thinkTimed > 0 && rn.thinkPassN == len(rn.rec.Passes) {
			// The silence since the last thinking token was thinking time.
			rn.thinkSpent += rn.elapsed() - rn.thinkLast
			rn.thinkLast = rn.elapsed()
		}
		rn.stopWith(stopCut, hooks.ReasonTime)
		if d := rn.cut(ctx, hooks.ReasonTime, 0, ""); d.Action == hooks.Abort {
			rn.stop, rn.stopMsg = stopAbort, abortText(d)
		}
		return nil
	default:
		if te != nil {
			return err
		}
		return fmt.Errorf("the server sent nothing for %s in the middle of a stream of %s: it may be stuck; restart it, or raise %s", t.idle, rn.req.Model, models.EnvIdleTimeout)
	}
}
