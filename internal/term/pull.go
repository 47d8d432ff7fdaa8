package term

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/format"
	"github.com/schollz/progressbar/v3"
)

// A PullView shows the progress of one pull.
type PullView interface {
	Update(api.ProgressResponse)
	// Stop ends the display; err is the pull's outcome.
	Stop(err error)
}

// NewPullView shows the pull of name: Ollama's progress messages as JSON
// lines on ios.Out with asJSON, nothing when quiet, bars on a terminal,
// else plain lines.
func NewPullView(ios *IOStreams, name string, asJSON, quiet bool) PullView {
	switch {
	case asJSON:
		return &jsonPullView{w: ios.Out, model: name}
	case quiet:
		return nopPullView{}
	case ios.ErrIsTerminal:
		return &barPullView{w: &syncWriter{w: ios.ErrOut}, color: ios.Color}
	}
	return &linePullView{w: ios.ErrOut}
}

type nopPullView struct{}

func (nopPullView) Update(api.ProgressResponse) {}
func (nopPullView) Stop(error)                  {}

// jsonPullView passes Ollama's progress messages through as JSON lines,
// with the model's name, and the error last when the pull fails.
type jsonPullView struct {
	w     io.Writer
	model string
}

type pullEvent struct {
	Model string `json:"model"`
	api.ProgressResponse
}

func (v *jsonPullView) Update(p api.ProgressResponse) {
	b, _ := json.Marshal(pullEvent{Model: v.model, ProgressResponse: p})
	v.w.Write(append(b, '\n'))
}

func (v *jsonPullView) Stop(err error) {
	if err == nil {
		return
	}
	b, _ := json.Marshal(map[string]string{"model": v.model, "error": err.Error()})
	v.w.Write(append(b, '\n'))
}

// ShortDigest is the digest as Ollama's CLI shows it: 12 hex digits.
func ShortDigest(d string) string {
	if len(d) > 7 && d[:7] == "sha256:" {
		d = d[7:]
	}
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}

// linePullView prints plain lines for logs: each step once, and each layer
// at its start and at every quarter.
type linePullView struct {
	w       io.Writer
	status  string
	digest  string
	quarter int // quarters of the current layer printed; -1 none
}

func (v *linePullView) Update(p api.ProgressResponse) {
	if p.Digest == "" {
		if p.Status != v.status && p.Status != "success" {
			v.status = p.Status
			v.digest = ""
			fmt.Fprintln(v.w, p.Status)
		}
		return
	}
	if p.Digest != v.digest {
		v.digest, v.status, v.quarter = p.Digest, p.Status, -1
	}
	q := 0
	if p.Total > 0 {
		q = int(p.Completed * 4 / p.Total)
	}
	if q > v.quarter {
		v.quarter = q
		fmt.Fprintf(v.w, "pulling %s %3d%% of %s\n", ShortDigest(p.Digest), q*25, format.HumanBytes(p.Total))
	}
}

func (v *linePullView) Stop(error) {}

// barPullView draws a progress bar for each layer and a spinner for each
// step on a terminal. Ollama pulls layers one after another, so one line is
// live at a time.
type barPullView struct {
	w      io.Writer
	color  bool
	mu     sync.Mutex
	bar    *progressbar.ProgressBar
	digest string
	spin   *progressbar.ProgressBar
	status string
}

func (v *barPullView) Update(p api.ProgressResponse) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if p.Digest == "" {
		if p.Status == v.status || p.Status == "success" {
			return
		}
		v.endBar()
		v.endSpin()
		v.status = p.Status
		v.spin = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(v.w),
			progressbar.OptionSetDescription(p.Status),
			progressbar.OptionSpinnerType(14),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionClearOnFinish(),
		)
		v.spin.Add(1)
		return
	}
	if p.Digest != v.digest {
		v.endSpin()
		v.endBar()
		v.digest = p.Digest
		total := p.Total
		if total <= 0 {
			total = -1
		}
		w := v.w
		v.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("pulling "+ShortDigest(p.Digest)),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowTotalBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionEnableColorCodes(v.color),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
	}
	v.bar.Set64(p.Completed)
}

// endBar leaves a finished bar as it is and breaks the line under an
// unfinished one.
func (v *barPullView) endBar() {
	if v.bar != nil && !v.bar.IsFinished() {
		v.bar.Exit() // its completion hook ends the line
	}
	v.bar, v.digest = nil, ""
}

// endSpin replaces the spinner by its status as a plain line.
func (v *barPullView) endSpin() {
	if v.spin != nil {
		v.spin.Finish()
		fmt.Fprintln(v.w, v.status)
	}
	v.spin, v.status = nil, ""
}

func (v *barPullView) Stop(error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.endBar()
	v.endSpin()
}

// syncWriter serialises the writes of a spinner's own goroutine and ours.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}
