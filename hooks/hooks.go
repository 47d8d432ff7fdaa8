// Package hooks defines the events a reasoning run emits and the hooks that
// watch them. Budgets, loop detection, logging and external programs are all
// ordinary hooks: each sees every event in order and answers with a Decision.
package hooks

import (
	"context"
	"time"
)

// Kind names an event. The strings are part of the JSON event format that
// external hooks read.
type Kind string

const (
	KindRunStart    Kind = "run_start"
	KindToken       Kind = "token"
	KindStep        Kind = "step"
	KindCut         Kind = "cut"
	KindAnswerStart Kind = "answer_start"
	KindDone        Kind = "done"
	KindError       Kind = "error"
	// KindProbe is a trial answer in the middle of the thinking; Text is
	// the answer and Confidence its mean token probability.
	KindProbe Kind = "probe"
)

// Phase is the part of the output a token belongs to.
type Phase string

const (
	PhaseThinking Phase = "thinking"
	PhaseAnswer   Phase = "answer"
)

// Cut reasons, as recorded in a run's cut_reason.
const (
	ReasonNone        = ""
	ReasonTokens      = "tokens"
	ReasonSteps       = "steps"
	ReasonTime        = "time"
	ReasonLoop        = "loop"
	ReasonHook        = "hook"
	ReasonInterrupted = "interrupted"
	ReasonError       = "error"
	// ReasonSettled: answer probes agreed, or one was confident enough.
	ReasonSettled = "settled"
)

// Event is one thing that happened in a run. Counters are totals so far.
type Event struct {
	Kind      Kind          `json:"event"`
	RunID     string        `json:"run_id"`
	Seq       int64         `json:"seq"`
	Elapsed   time.Duration `json:"-"`
	ElapsedMS float64       `json:"elapsed_ms"`
	// Thinking is the thinking time so far, as the time budget counts it:
	// from the first thinking token on, without the time a request spent
	// waiting in the server's queue or evaluating its prompt.
	Thinking   time.Duration `json:"-"`
	ThinkingMS float64       `json:"thinking_ms,omitempty"`
	Phase      Phase         `json:"phase,omitempty"`
	// Text is the token's text for token events, the step's text for step
	// events, the reason for cut events and the message for error events.
	Text string `json:"text,omitempty"`
	// Counters.
	ThinkingTokens int `json:"thinking_tokens"`
	AnswerTokens   int `json:"answer_tokens"`
	Steps          int `json:"steps"`
	// Step is the 1-based index of the step a step event closes.
	Step int `json:"step,omitempty"`
	// Reason is the cut reason on cut events.
	Reason string `json:"reason,omitempty"`
	// Repeats is how many times a loop was seen, on loop cuts.
	Repeats int `json:"repeats,omitempty"`
	// Signal is the loop signal that fired (SignalStep or SignalNgram), on
	// loop cuts.
	Signal string `json:"signal,omitempty"`
	// Detail is free text from the hook that asked for the cut, such as an
	// external hook's own reason, on cut events.
	Detail string `json:"detail,omitempty"`
	// Confidence is a probe's mean token probability, on probe events.
	Confidence float64 `json:"confidence,omitempty"`
}

// Action is what a hook asks the run to do.
type Action int

const (
	Continue Action = iota
	// Cut ends the thinking; the run then answers or stops, as its policy says.
	Cut
	// Abort ends the whole run with an error.
	Abort
)

func (a Action) String() string {
	switch a {
	case Cut:
		return "cut"
	case Abort:
		return "abort"
	}
	return "continue"
}

// Decision is a hook's answer to an event.
type Decision struct {
	Action Action
	// Reason is a cut reason (see Reason*) or, for hooks that are not
	// budgets, free text that ends up in the record.
	Reason string
	// Repeats is set by the loop detector: how many times the looping
	// content was seen, the first time included.
	Repeats int
	// Signal is set by the loop detector: SignalStep or SignalNgram.
	Signal string
	// Detail is optional free text that explains the decision. External
	// hooks put the reason they sent here (Reason is then ReasonHook).
	Detail string
}

// Hook watches events. OnEvent is called on the stream's goroutine, in order,
// and must return quickly.
type Hook interface {
	OnEvent(ctx context.Context, ev *Event) Decision
}

// Func adapts a function to a Hook.
type Func func(ctx context.Context, ev *Event) Decision

func (f Func) OnEvent(ctx context.Context, ev *Event) Decision { return f(ctx, ev) }

// Watcher is implemented by hooks that may promise to only watch: when
// WatchOnly is true the hook never cuts or aborts, whatever the events, so a
// runner need not prepare for a stream it closes early (the runner's
// prefill pass).
type Watcher interface {
	WatchOnly() bool
}

// IsWatchOnly reports whether h promises to only watch (Watcher).
func IsWatchOnly(h Hook) bool {
	w, ok := h.(Watcher)
	return ok && w.WatchOnly()
}

// Watch adapts a function that only watches to a Hook: it always answers
// Continue, and says so (Watcher).
type Watch func(ctx context.Context, ev *Event)

func (f Watch) OnEvent(ctx context.Context, ev *Event) Decision {
	f(ctx, ev)
	return Decision{}
}

// WatchOnly implements Watcher.
func (Watch) WatchOnly() bool { return true }

// Closer is implemented by hooks that hold resources (external programs, files).
type Closer interface {
	Close() error
}

// Chain runs hooks in order; the first decision that is not Continue wins,
// but every hook still sees the event.
type Chain []Hook

func (c Chain) OnEvent(ctx context.Context, ev *Event) Decision {
	var out Decision
	for _, h := range c {
		d := h.OnEvent(ctx, ev)
		if out.Action == Continue && d.Action != Continue {
			out = d
		}
	}
	return out
}

// Close closes every hook in the chain that holds resources.
func (c Chain) Close() error {
	var first error
	for _, h := range c {
		if cl, ok := h.(Closer); ok {
			if err := cl.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}
