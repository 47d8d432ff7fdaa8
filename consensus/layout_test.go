package consensus

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rein-dev/rein/hooks"
)

func TestLayout(t *testing.T) {
	for _, tt := range []struct {
		name    string
		langs   []string
		samples int
		seed    int
		models  []string
		want    []string // Label of each chain
	}{
		{"languages", []string{"en", "zh"}, 1, 7, nil, []string{" (en)", " (zh)"}},
		{"samples in the model's language", nil, 3, 10, nil, []string{" (seed 10)", " (seed 11)", " (seed 12)"}},
		{"samples per language", []string{"fr"}, 2, 0, nil, []string{" (fr, seed 0)", " (fr, seed 1)"}},
		{"ensemble", []string{"en", "ru"}, 1, 0, []string{"a", "b"}, []string{" (en, a)", " (ru, b)"}},
		{"one chain, nothing set", nil, 1, 0, nil, []string{""}},
		{"samples below one are one", nil, 0, 0, nil, []string{""}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			chains := Layout(tt.langs, tt.samples, tt.seed, tt.models)
			if len(chains) != len(tt.want) {
				t.Fatalf("%d chains, want %d: %+v", len(chains), len(tt.want), chains)
			}
			for i, c := range chains {
				if got := c.Label(); got != tt.want[i] {
					t.Errorf("chain %d: label %q, want %q", i, got, tt.want[i])
				}
			}
		})
	}
}

// TestLockHooks: hooks the chains share are called one event at a time.
func TestLockHooks(t *testing.T) {
	var inside, peak atomic.Int32
	h := hooks.Func(func(context.Context, *hooks.Event) hooks.Decision {
		n := inside.Add(1)
		if n > peak.Load() {
			peak.Store(n)
		}
		time.Sleep(time.Millisecond)
		inside.Add(-1)
		return hooks.Decision{}
	})
	locked := lockHooks([]hooks.Hook{h, h})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { locked[i%2].OnEvent(context.Background(), &hooks.Event{}) })
	}
	wg.Wait()
	if peak.Load() != 1 {
		t.Errorf("%d calls at once, want 1", peak.Load())
	}
	if lockHooks(nil) != nil {
		t.Error("no hooks: want nil")
	}
}
