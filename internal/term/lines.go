package term

import (
	"fmt"
	"strings"

	"github.com/rein-dev/rein/runner"
)

// OneLine keeps the first line of s and counts the others: a suite file
// with three problems reads "f.yaml:3: …; and 2 more problems".
func OneLine(s string) string {
	s = strings.TrimSpace(s)
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		return s
	}
	n := 0
	for _, l := range strings.Split(s[i+1:], "\n") {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	switch n {
	case 0:
		return strings.TrimSpace(s[:i])
	case 1:
		return strings.TrimSpace(s[:i]) + "; and 1 more problem"
	}
	return fmt.Sprintf("%s; and %d more problems", strings.TrimSpace(s[:i]), n)
}

// RunLine sums up a run in one line (rein proxy --verbose).
func RunLine(rec *runner.Record) string {
	cut := rec.CutReason
	if cut == "" {
		cut = "none"
	}
	s := fmt.Sprintf("%s run %s: cut %s, %d step(s), %d thinking + %d answer token(s), %.0f ms",
		rec.Model, rec.RunID, cut, rec.Steps, rec.Metrics.ThinkingTokens, rec.Metrics.AnswerTokens, rec.Metrics.WallMS)
	if rec.Error != "" {
		s += ", error: " + OneLine(rec.Error)
	}
	return s
}
