package consensus

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/rein-dev/rein/hooks"
)

// Layout lists the chains of a consensus: for each language of langs (one
// chain in the model's own language when langs is empty), samples chains,
// with seeds seed+k when there are several; models, when given, are the
// chains' models in that order (an ensemble).
func Layout(langs []string, samples, seed int, models []string) []Chain {
	if len(langs) == 0 {
		langs = []string{""}
	}
	var out []Chain
	for _, l := range langs {
		for k := range max(samples, 1) {
			c := Chain{Lang: l}
			if samples > 1 {
				s := seed + k
				c.Seed = &s
			}
			out = append(out, c)
		}
	}
	for i := range out {
		if i < len(models) {
			out[i].Model = models[i]
		}
	}
	return out
}

// Label names a chain's language, seed and model for messages:
// " (en, seed 3, qwen3:4b)", or "" when it has none of them.
func (c Chain) Label() string {
	var parts []string
	if c.Lang != "" {
		parts = append(parts, c.Lang)
	}
	if c.Seed != nil {
		parts = append(parts, fmt.Sprintf("seed %d", *c.Seed))
	}
	if c.Model != "" {
		parts = append(parts, c.Model)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// lockedHook serialises a hook that every chain shares (the request's
// hooks: external programs, library hooks), since chains run in parallel.
type lockedHook struct {
	mu *sync.Mutex
	h  hooks.Hook
}

// WatchOnly is the hook's own (hooks.Watcher).
func (l lockedHook) WatchOnly() bool { return hooks.IsWatchOnly(l.h) }

func (l lockedHook) OnEvent(ctx context.Context, ev *hooks.Event) hooks.Decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.OnEvent(ctx, ev)
}

// lockHooks returns hs, each behind one lock they share.
func lockHooks(hs []hooks.Hook) []hooks.Hook {
	if len(hs) == 0 {
		return nil
	}
	mu := &sync.Mutex{}
	out := make([]hooks.Hook, len(hs))
	for i, h := range hs {
		out[i] = lockedHook{mu, h}
	}
	return out
}
