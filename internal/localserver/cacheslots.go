package localserver

import (
	"regexp"
	"strconv"
	"strings"
)

// CacheSlot is one "loading cache slot" line of a runner's debug log
// (OLLAMA_DEBUG=1): how many prompt tokens a request took from the KV cache
// (Used) and how many it had to evaluate (Remaining).
type CacheSlot struct {
	Prompt, Used, Remaining int
}

var slotRE = regexp.MustCompile(`prompt=(\d+) used=(\d+) remaining=(-?\d+)`)

// CacheSlots returns the cache-slot lines in the server's log, oldest first.
// The server must run with Options.Debug.
func (s *Server) CacheSlots() []CacheSlot {
	var out []CacheSlot
	for _, line := range strings.Split(s.Log(), "\n") {
		if !strings.Contains(line, "loading cache slot") {
			continue
		}
		m := slotRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		p, _ := strconv.Atoi(m[1])
		u, _ := strconv.Atoi(m[2])
		r, _ := strconv.Atoi(m[3])
		out = append(out, CacheSlot{Prompt: p, Used: u, Remaining: r})
	}
	return out
}
