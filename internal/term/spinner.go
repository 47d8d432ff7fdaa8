package term

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// spinnerFrames are the frames ollama run's spinner shows.
var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// spinnerDelay is how long a run may take to show anything before the
// spinner appears: a model that is loaded answers sooner, and gets none.
const spinnerDelay = 150 * time.Millisecond

// spinner turns on a terminal line while the model loads and reads the
// prompt, as ollama run's does. Its writes hold mu, the display's lock.
type spinner struct {
	w     io.Writer
	mu    *sync.Mutex
	quit  chan struct{}
	shown bool // a frame is on the line (mu held)
}

// startSpinner starts a spinner on w; the caller holds mu.
func startSpinner(w io.Writer, mu *sync.Mutex) *spinner {
	s := &spinner{w: w, mu: mu, quit: make(chan struct{})}
	go s.run()
	return s
}

func (s *spinner) run() {
	t := time.NewTimer(spinnerDelay)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-s.quit:
			return
		case <-t.C:
		}
		s.mu.Lock()
		select {
		case <-s.quit: // stopped while waiting for the lock
			s.mu.Unlock()
			return
		default:
			fmt.Fprint(s.w, "\r"+spinnerFrames[i%len(spinnerFrames)]+" ")
			s.shown = true
		}
		s.mu.Unlock()
		t.Reset(100 * time.Millisecond)
	}
}

// stop ends the spinner and clears its line; the caller holds mu, as the
// spinner does while it writes, so no frame comes after.
func (s *spinner) stop() {
	close(s.quit)
	if s.shown {
		fmt.Fprint(s.w, "\r\x1b[K")
	}
}
