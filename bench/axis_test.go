package bench

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenSuiteContext: reading a suite listens to Ctrl-C, even when the
// file never ends (here a named pipe no one writes to).
func TestOpenSuiteContext(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "suite.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() {
		_, err := OpenSuiteContext(ctx, fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want the cancellation", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OpenSuiteContext did not listen to the cancellation")
	}
}

func TestContextSize(t *testing.T) {
	c := &Case{ID: "a", System: strings.Repeat("s", 100)}
	jobs := []Job{{Model: "m", Case: c, Prompt: strings.Repeat("p", 2000)}, {Model: "m", Case: c, Prompt: "short"}, {Model: "o", Prompt: strings.Repeat("p", 9000)}}
	for _, tt := range []struct {
		train, want int
	}{
		{0, 8192},    // 2100 + 1000 + 4096 = 7196, rounded up to 7168+1024
		{6000, 6000}, // within the training context
	} {
		if n := ContextSize(jobs, "m", 1000, tt.train); n != tt.want {
			t.Errorf("train %d: num_ctx %d, want %d", tt.train, n, tt.want)
		}
	}
}

func TestConsensusSets(t *testing.T) {
	tests := []struct{ in, want []string }{
		{nil, nil},
		{[]string{"en+zh+fr"}, []string{"en+zh+fr"}},
		{[]string{"en", "zh", "fr"}, []string{"en+zh+fr"}},
		{[]string{"en+zh", "fr+ru"}, []string{"en+zh", "fr+ru"}},
		{[]string{"en", "zh+fr"}, []string{"en", "zh+fr"}}, // "en" alone is refused later
		{[]string{"en"}, []string{"en"}},
	}
	for _, tt := range tests {
		if got := ConsensusSets(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("ConsensusSets(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReasoningAxis(t *testing.T) {
	tests := []struct {
		reasonIn, sets []string
		want           []string
		err            string
	}{
		{nil, nil, nil, ""},
		{[]string{"native", "EN"}, nil, []string{"", "en"}, ""},
		{nil, []string{"en", "zh"}, []string{ConsensusAxis + "en+zh"}, ""},
		{[]string{"xx"}, nil, nil, `--reason-in "xx": not a language`},
		{nil, []string{"en"}, nil, "a consensus needs two languages or more"},
		{[]string{"en", "en"}, nil, nil, `"en" given twice`},
	}
	for _, tt := range tests {
		got, err := ReasoningAxis(tt.reasonIn, tt.sets)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q %q: error %v, want %q", tt.reasonIn, tt.sets, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%q %q: %q %v, want %q", tt.reasonIn, tt.sets, got, err, tt.want)
		}
	}
}

func TestModels(t *testing.T) {
	if got, err := Models([]string{" a ", "", "b"}, false); err != nil || !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("given: %q %v", got, err)
	}
	if _, err := Models([]string{"a", "a"}, false); err == nil || !strings.Contains(err.Error(), "a given twice") {
		t.Errorf("twice: %v", err)
	}
	if got, err := Models(nil, true); err != nil || len(got) == 0 {
		t.Errorf("demo: %q %v", got, err)
	}
	if _, err := Models(nil, false); err == nil {
		t.Error("none: no error")
	}
}
