package term

import (
	"os"
	"os/signal"
	"sync"
)

// Interrupts routes Ctrl-C (SIGINT). By default it stops the command: it
// calls main's cancel, and rein exits 130 once the command has flushed what
// it had. While a command holds it (the chat), it calls the holder's stop
// instead: the chat stops the turn in progress and stays.
//
// A nil *Interrupts (tests that build the streams themselves) routes
// nothing; Hold on it is a no-op.
type Interrupts struct {
	mu     sync.Mutex
	cancel func()
	holder func()
}

// NewInterrupts routes the Ctrl-C that Fire delivers to cancel (tests).
func NewInterrupts(cancel func()) *Interrupts { return &Interrupts{cancel: cancel} }

// NotifyInterrupts starts routing SIGINT to cancel, until stop is called.
func NotifyInterrupts(cancel func()) (it *Interrupts, stop func()) {
	it = &Interrupts{cancel: cancel}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sigs:
				it.Fire()
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return it, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(done)
		})
	}
}

// Fire delivers one Ctrl-C.
func (it *Interrupts) Fire() {
	it.mu.Lock()
	f := it.cancel
	if it.holder != nil {
		f = it.holder
	}
	it.mu.Unlock()
	if f != nil {
		f()
	}
}

// Hold makes Ctrl-C call stop instead of stopping the command, until
// release is called.
func (it *Interrupts) Hold(stop func()) (release func()) {
	if it == nil {
		return func() {}
	}
	it.mu.Lock()
	prev := it.holder
	it.holder = stop
	it.mu.Unlock()
	return func() {
		it.mu.Lock()
		it.holder = prev
		it.mu.Unlock()
	}
}
