package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/format"
	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/models/scripted"
)

// pullSpec is a scripted model with a blob of about 12 MB, big enough to
// stop a throttled pull halfway through it.
func pullSpec() scripted.Spec {
	return scripted.Spec{
		Family: "qwen3",
		Script: scripted.Script{Thinking: "\nPulled models think too.\n\n", Answer: "\n\nYes."},
		Size:   scripted.Size{Layers: 4, Dim: 512, FF: 1024, Quant: scripted.TypeQ8_0},
	}
}

type pullLine struct {
	Model     string `json:"model"`
	Status    string `json:"status"`
	Digest    string `json:"digest"`
	Total     int64  `json:"total"`
	Completed int64  `json:"completed"`
	Error     string `json:"error"`
}

func parsePullLines(t *testing.T, out string) []pullLine {
	t.Helper()
	var lines []pullLine
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var l pullLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return lines
}

// checkPulled checks the model the server has after a pull against the
// scripted model that was pushed.
func checkPulled(t *testing.T, s *ollamatest.Server, name string, spec scripted.Spec) {
	t.Helper()
	show, err := s.Client.Show(context.Background(), &api.ShowRequest{Model: name})
	if err != nil {
		t.Fatalf("show %s after the pull: %v", name, err)
	}
	fam, _ := scripted.LookupFamily(spec.Family)
	if show.Template != fam.Template || models.Architecture(show.ModelInfo) != "llama" ||
		show.Details.QuantizationLevel != "Q8_0" || !models.CanThink(show) {
		t.Errorf("pulled %s: template matches %v, architecture %q, quantization %q, capabilities %v",
			name, show.Template == fam.Template, models.Architecture(show.ModelInfo), show.Details.QuantizationLevel, show.Capabilities)
	}
	if n, _ := models.ArchInt(show.ModelInfo, "block_count"); n != int64(spec.Size.Layers) {
		t.Errorf("pulled %s has %d layers, want %d", name, n, spec.Size.Layers)
	}
}

func deleteModel(s *ollamatest.Server, name string) {
	s.Client.Delete(context.Background(), &api.DeleteRequest{Model: name})
}

// TestPullFromRegistry pushes a scripted model to a real registry, deletes
// it, and pulls it back with each progress display.
func TestPullFromRegistry(t *testing.T) {
	s := ollamatest.Need(t, srv)
	reg := startRegistry(t)
	spec := pullSpec()
	name, mf := pushScripted(t, s, reg, "pull-me", spec)
	big := mf.biggest()
	if big.Size < 8<<20 {
		t.Fatalf("the model blob is %d bytes; the test wants several MB", big.Size)
	}

	tests := []struct {
		name  string
		setup func(*PullOptions)
		check func(t *testing.T, out, errOut string)
	}{
		{"json", func(o *PullOptions) { o.JSON = true }, func(t *testing.T, out, errOut string) {
			if errOut != "" {
				t.Errorf("stderr %q, want nothing with --json", errOut)
			}
			lines := parsePullLines(t, out)
			var statuses []string
			last := map[string]pullLine{}
			for _, l := range lines {
				if l.Model != name || l.Error != "" {
					t.Errorf("line %+v", l)
				}
				if l.Digest == "" {
					statuses = append(statuses, l.Status)
					continue
				}
				if p, ok := last[l.Digest]; ok && l.Completed < p.Completed {
					t.Errorf("%s went back from %d to %d bytes", l.Digest, p.Completed, l.Completed)
				}
				if want := "pulling " + term.ShortDigest(l.Digest); l.Status != want {
					t.Errorf("status %q, want %q", l.Status, want)
				}
				last[l.Digest] = l
			}
			if got := strings.Join(statuses, "|"); got != "pulling manifest|verifying sha256 digest|writing manifest|success" {
				t.Errorf("statuses %s", got)
			}
			for _, l := range mf.all() {
				p, ok := last[l.Digest]
				if !ok || p.Total != l.Size || p.Completed != l.Size {
					t.Errorf("layer %s (%d bytes): last progress %+v", l.Digest, l.Size, p)
				}
			}
			if len(last) != len(mf.all()) {
				t.Errorf("progress for %d digests, want %d", len(last), len(mf.all()))
			}
		}},
		{"terminal", func(o *PullOptions) { o.IO.ErrIsTerminal = true }, func(t *testing.T, out, errOut string) {
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			for _, l := range mf.all() {
				if !strings.Contains(errOut, "pulling "+term.ShortDigest(l.Digest)) {
					t.Errorf("no bar for %s in %q", term.ShortDigest(l.Digest), errOut)
				}
			}
			for _, want := range []string{"verifying sha256 digest\n", "writing manifest\n", "pulled " + name + "\n", "100%", "\r", " MB"} {
				if !strings.Contains(errOut, want) {
					t.Errorf("no %q in %q", want, errOut)
				}
			}
		}},
		{"plain", func(o *PullOptions) {}, func(t *testing.T, out, errOut string) {
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if strings.Contains(errOut, "\r") {
				t.Errorf("carriage returns in plain output %q", errOut)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			want := []string{"pulling manifest"}
			for _, l := range mf.all() {
				want = append(want, fmt.Sprintf("pulling %s 100%% of %s", term.ShortDigest(l.Digest), format.HumanBytes(l.Size)))
			}
			want = append(want, "verifying sha256 digest", "writing manifest", "pulled "+name)
			for _, w := range want {
				if !containsLine(lines, w) {
					t.Errorf("no line %q in\n%s", w, errOut)
				}
			}
		}},
		{"quiet", func(o *PullOptions) { o.Quiet = true }, func(t *testing.T, out, errOut string) {
			if out != "" || errOut != "" {
				t.Errorf("quiet pull wrote %q and %q", out, errOut)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deleteModel(s, name)
			if hasModel(t, s, name) {
				t.Fatal("the model is still there")
			}
			before := reg.Blobs.Served(big.Digest)
			ios, out, errOut := testStreams("")
			opts := &PullOptions{IO: ios, Client: clientFor(s), Models: []string{name}, Insecure: true}
			tt.setup(opts)
			if err := pullRun(context.Background(), opts); err != nil {
				t.Fatalf("pull: %v\n%s", err, errOut)
			}
			tt.check(t, out.String(), errOut.String())
			if got := reg.Blobs.Served(big.Digest) - before; got != big.Size {
				t.Errorf("the file server served %d bytes of the model blob, want %d", got, big.Size)
			}
			checkPulled(t, s, name, spec)
		})
	}

	// Pulling a model that is already there downloads nothing.
	before := reg.Blobs.Served(big.Digest)
	ios, out, _ := testStreams("")
	if err := pullRun(context.Background(), &PullOptions{IO: ios, Client: clientFor(s), Models: []string{name}, Insecure: true, JSON: true}); err != nil {
		t.Fatal(err)
	}
	if got := reg.Blobs.Served(big.Digest) - before; got != 0 {
		t.Errorf("a second pull downloaded %d bytes", got)
	}
	for _, l := range parsePullLines(t, out.String()) {
		if l.Digest != "" && l.Completed != l.Total {
			t.Errorf("a second pull's layer is not complete at once: %+v", l)
		}
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

// TestPullStoppedHalfwayResumes stops a pull in the middle of the model's
// blob, as Ctrl-C does, and pulls again: the server keeps what it had, and
// the second pull downloads only the rest.
func TestPullStoppedHalfwayResumes(t *testing.T) {
	s := ollamatest.Need(t, srv)
	reg := startRegistry(t)
	spec := pullSpec()
	spec.Script.Answer = "\n\nResumed."
	name, mf := pushScripted(t, s, reg, "resume-me", spec)
	big := mf.biggest()

	// About 8 s for the whole blob.
	reg.Blobs.SetRate(big.Size / 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ios, _, errOut := testStreams("")
	done := make(chan error, 1)
	go func() {
		done <- pullRun(ctx, &PullOptions{IO: ios, Client: clientFor(s), Models: []string{name}, Insecure: true})
	}()
	deadline := time.Now().Add(60 * time.Second)
	for reg.Blobs.Served(big.Digest) < big.Size*3/10 {
		if time.Now().After(deadline) {
			t.Fatalf("the pull did not reach 30%% of the blob in 60s (%d of %d bytes)", reg.Blobs.Served(big.Digest), big.Size)
		}
		select {
		case err := <-done:
			t.Fatalf("the pull ended early: %v\n%s", err, errOut)
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the pull did not stop within 10s of the interrupt")
	}
	if !errors.Is(err, errInterrupted) {
		t.Fatalf("interrupted pull: %v, want errInterrupted", err)
	}
	if want := "run `rein pull " + name + "` again to resume"; !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr %q does not say %q", errOut, want)
	}
	atStop := reg.Blobs.Served(big.Digest)
	if atStop >= big.Size {
		t.Fatalf("the whole blob was served (%d bytes) before the stop", atStop)
	}
	// The server stops downloading too.
	time.Sleep(1500 * time.Millisecond)
	if later := reg.Blobs.Served(big.Digest); later-atStop > 256<<10 {
		t.Errorf("the server went on downloading after the stop: %d more bytes", later-atStop)
	}
	atStop = reg.Blobs.Served(big.Digest)
	if hasModel(t, s, name) {
		t.Error("a stopped pull left a model behind")
	}
	// The server keeps the part it has: Ollama's part file says how much.
	kept := keptBytes(t, s, big.Digest)
	if kept <= 0 || kept > atStop {
		t.Fatalf("the server kept %d bytes of the %d served", kept, atStop)
	}

	// Again, throttled less: it starts where it stopped.
	reg.Blobs.SetRate(big.Size / 3)
	ios, out, errOut := testStreams("")
	if err := pullRun(context.Background(), &PullOptions{IO: ios, Client: clientFor(s), Models: []string{name}, Insecure: true, JSON: true}); err != nil {
		t.Fatalf("resumed pull: %v\n%s", err, errOut)
	}
	var first *pullLine
	lines := parsePullLines(t, out.String())
	for i := range lines {
		if lines[i].Digest == big.Digest {
			first = &lines[i]
			break
		}
	}
	if first == nil || first.Completed < kept || first.Completed >= big.Size {
		t.Errorf("first progress of the resumed blob %+v; want it to start from the %d bytes kept", first, kept)
	}
	rest := reg.Blobs.Served(big.Digest) - atStop
	if rest != big.Size-kept {
		t.Errorf("the resumed pull downloaded %d bytes; want the %d the server did not have", rest, big.Size-kept)
	}
	t.Logf("stopped at %d of %d bytes served, %d kept; resumed with %d", atStop, big.Size, kept, rest)
	checkPulled(t, s, name, spec)
	if partials, _ := filepath.Glob(filepath.Join(s.Dir, "models", "blobs", "*-partial*")); len(partials) != 0 {
		t.Errorf("partial files left after the resumed pull: %v", partials)
	}
}

// TestPullErrors: a name the registry does not have, a registry that does
// not answer, a plain-HTTP registry without --insecure, and no Ollama.
func TestPullErrors(t *testing.T) {
	s := ollamatest.Need(t, srv)
	reg := startRegistry(t)
	closed, err := freeLoopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		model    string
		insecure bool
		client   func() (*api.Client, error)
		kind     string
		human    string
	}{
		{"no such model", reg.Host + "/library/no-such-model:latest", true, clientFor(s), models.PullNotFound,
			"pull " + reg.Host + "/library/no-such-model:latest: the registry " + reg.Host + " has no such model"},
		{"registry down", fmt.Sprintf("127.0.0.1:%d/library/x:latest", closed), true, clientFor(s), models.PullUnreachable,
			fmt.Sprintf("pull 127.0.0.1:%d/library/x:latest: cannot reach the registry 127.0.0.1:%d: ", closed, closed)},
		{"plain http", reg.Host + "/library/no-such-model:latest", false, clientFor(s), models.PullPlainHTTP,
			"speaks plain HTTP, and the pull was not allowed to use it; pass --insecure to allow it"},
		{"no ollama", "qwen3:0.6b", false, func() (*api.Client, error) {
			return api.NewClient(&url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", closed)}, http.DefaultClient), nil
		}, "", "cannot reach Ollama at "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, out, errOut := testStreams("")
			err := pullRun(context.Background(), &PullOptions{IO: ios, Client: tt.client, Models: []string{tt.model}, Insecure: tt.insecure, JSON: true})
			if err == nil {
				t.Fatal("no error")
			}
			var pe *models.PullError
			if tt.kind != "" && (!errors.As(err, &pe) || pe.Kind != tt.kind) {
				t.Errorf("error %v (%T), want a %s PullError", err, err, tt.kind)
			}
			human := humanize(err)
			if !strings.Contains(human, tt.human) || strings.Contains(human, "\n") {
				t.Errorf("message %q, want one line with %q", human, tt.human)
			}
			// --json ends the stream with the error.
			lines := parsePullLines(t, out.String())
			if len(lines) == 0 || lines[len(lines)-1].Error == "" {
				t.Errorf("no error line in %q", out)
			}
			if errOut.Len() != 0 {
				t.Errorf("stderr %q", errOut)
			}
			if tt.kind != "" && hasModel(t, s, tt.model) {
				t.Error("a failed pull left a model")
			}
		})
	}
}

// The command line: `rein pull` with its flags, through the root command.
func TestPullCommandLine(t *testing.T) {
	s := ollamatest.Need(t, srv)
	reg := startRegistry(t)
	t.Setenv("OLLAMA_HOST", s.Host)
	name := reg.Host + "/library/nothing-here:latest"
	var out, errOut bytes.Buffer
	root := newRootCmd(&IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	root.SetArgs([]string{"pull", "--insecure", "--json", name})
	err := root.ExecuteContext(context.Background())
	var pe *models.PullError
	if !errors.As(err, &pe) || pe.Kind != models.PullNotFound || pe.Model != name {
		t.Fatalf("rein pull --insecure --json %s: %v", name, err)
	}
	if code := exitCode(context.Background(), &errOut, err); code != exitError {
		t.Errorf("exit code %d", code)
	}
	if want := "rein: pull " + name + ": the registry " + reg.Host + " has no such model\n"; !strings.HasSuffix(errOut.String(), want) {
		t.Errorf("stderr %q, want %q", errOut.String(), want)
	}

	root = newRootCmd(&IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	root.SetArgs([]string{"pull"})
	if err := root.Execute(); err == nil || exitCode(context.Background(), io.Discard, err) != exitUsage {
		t.Errorf("rein pull without a model: %v, want a usage error", err)
	}
}

// keptBytes reads how much of a blob's download the server kept, from the
// part files Ollama writes next to the partial blob.
func keptBytes(t *testing.T, s *ollamatest.Server, digest string) int64 {
	t.Helper()
	base := filepath.Join(s.Dir, "models", "blobs", strings.Replace(digest, ":", "-", 1))
	parts, _ := filepath.Glob(base + "-partial-*")
	if len(parts) == 0 {
		t.Fatalf("no part files for %s", digest)
	}
	var kept int64
	for _, p := range parts {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var part struct{ Completed int64 }
		if err := json.Unmarshal(b, &part); err != nil {
			t.Fatalf("part file %s: %v", p, err)
		}
		kept += part.Completed
	}
	return kept
}
