package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/format"
	"github.com/rein-dev/rein/models"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

func init() { register(NewCmdPull) }

// PullOptions are the flags of `rein pull`.
type PullOptions struct {
	IO       *IOStreams
	Client   func() (*api.Client, error)
	Models   []string
	JSON     bool
	Insecure bool
	Quiet    bool
}

// NewCmdPull is `rein pull`.
func NewCmdPull(f *Factory, runF func(*PullOptions) error) *cobra.Command {
	opts := &PullOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "pull MODEL...",
		Short: "Pull models from a registry into Ollama, with progress",
		Long: `Pull models through the Ollama server at OLLAMA_HOST.

On a terminal, each layer gets a progress bar (digest, bytes, rate, ETA) and
each step a spinner; otherwise progress is plain lines. --json writes
Ollama's progress messages as JSON lines on stdout instead. Ctrl-C stops a
pull; run the same command again and it resumes where it stopped.`,
		Example: `  rein pull qwen3:0.6b magistral:24b
  rein pull --insecure 127.0.0.1:5000/library/my-model:latest
  rein pull --json deepseek-r1:8b | jq -c 'select(.digest)'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Models = args
			return runOr(runF, opts, func() error { return pullRun(cmd.Context(), opts) })
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.JSON, "json", false, "write the progress messages as JSON lines on stdout")
	fl.BoolVar(&opts.Insecure, "insecure", false, "allow a registry that speaks plain HTTP")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing but errors")
	return cmd
}

func pullRun(ctx context.Context, opts *PullOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	for _, name := range opts.Models {
		view := newPullView(opts, name)
		err := models.Pull(ctx, c, name, opts.Insecure, func(p api.ProgressResponse) error {
			view.update(p)
			return nil
		})
		view.stop(err)
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				if !opts.JSON && !opts.Quiet {
					fmt.Fprintf(opts.IO.ErrOut, "pull of %s stopped; run `rein pull %s` again to resume\n", name, name)
				}
				return errInterrupted
			}
			var pe *models.PullError
			if errors.As(err, &pe) && pe.Kind == models.PullPlainHTTP && !opts.Insecure {
				return fmt.Errorf("%w; pass --insecure to allow it", err)
			}
			return err
		}
		if !opts.JSON && !opts.Quiet {
			fmt.Fprintf(opts.IO.ErrOut, "pulled %s\n", name)
		}
	}
	return nil
}

// A pullView shows the progress of one pull.
type pullView interface {
	update(api.ProgressResponse)
	// stop ends the display; err is the pull's outcome.
	stop(err error)
}

func newPullView(opts *PullOptions, name string) pullView {
	switch {
	case opts.JSON:
		return &jsonPullView{w: opts.IO.Out, model: name}
	case opts.Quiet:
		return nopPullView{}
	case opts.IO.ErrIsTerminal:
		return &barPullView{w: &syncWriter{w: opts.IO.ErrOut}, color: opts.IO.Color}
	}
	return &linePullView{w: opts.IO.ErrOut}
}

type nopPullView struct{}

func (nopPullView) update(api.ProgressResponse) {}
func (nopPullView) stop(error)                  {}

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

func (v *jsonPullView) update(p api.ProgressResponse) {
	b, _ := json.Marshal(pullEvent{Model: v.model, ProgressResponse: p})
	v.w.Write(append(b, '\n'))
}

func (v *jsonPullView) stop(err error) {
	if err == nil {
		return
	}
	b, _ := json.Marshal(map[string]string{"model": v.model, "error": err.Error()})
	v.w.Write(append(b, '\n'))
}

// shortDigest is the digest as Ollama's CLI shows it: 12 hex digits.
func shortDigest(d string) string {
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

func (v *linePullView) update(p api.ProgressResponse) {
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
		fmt.Fprintf(v.w, "pulling %s %3d%% of %s\n", shortDigest(p.Digest), q*25, format.HumanBytes(p.Total))
	}
}

func (v *linePullView) stop(error) {}

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

func (v *barPullView) update(p api.ProgressResponse) {
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
			progressbar.OptionSetDescription("pulling "+shortDigest(p.Digest)),
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

func (v *barPullView) stop(error) {
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
