package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rein-dev/rein/consensus"
	"github.com/rein-dev/rein/models/scripted"
)

// Models returns the models of a bench: those given, in order, or the
// scripted demo models for the demo suite. A model given twice is an error.
func Models(given []string, demo bool) ([]string, error) {
	var out []string
	for _, m := range given {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		if slices.Contains(out, m) {
			return nil, fmt.Errorf("--models: %s given twice", m)
		}
		out = append(out, m)
	}
	if len(out) == 0 && demo {
		for _, d := range scripted.DemoModels() {
			out = append(out, d.Name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bench: --models is required (comma-separated model names)")
	}
	return out, nil
}

// NumCtxMargin is the room ContextSize keeps, besides the prompt and the
// token cap, for the chat template, a profile's system prompt, the budget
// message and the tags.
const NumCtxMargin = 4096

// ContextSize returns num_ctx for a model: room for its longest prompt
// (bytes bound tokens), maxTokens and NumCtxMargin, rounded up to 1024 and
// within the training context train (0: unknown). One size for the whole
// bench means no run reloads the model.
func ContextSize(jobs []Job, model string, maxTokens, train int) int {
	longest := 0
	for _, j := range jobs {
		if j.Model == model {
			n := len(j.Prompt)
			if j.Case != nil {
				n += len(j.Case.System)
			}
			longest = max(longest, n)
		}
	}
	n := (longest + maxTokens + NumCtxMargin + 1023) / 1024 * 1024
	if train > 0 && n > train {
		n = train
	}
	return n
}

// ReasoningAxis lays out the reasoning axis (Job.Reasoning) from the
// languages to reason in ("native": the model's own choice) and the
// consensus sets (ConsensusSets); nil when neither is given.
func ReasoningAxis(reasonIn, sets []string) ([]string, error) {
	var out []string
	add := func(p string) error {
		if slices.Contains(out, p) {
			return fmt.Errorf("--reason-in/--consensus: %q given twice", ReasoningName(p))
		}
		out = append(out, p)
		return nil
	}
	known := strings.Join(consensus.Languages(), ", ")
	for _, l := range reasonIn {
		l = strings.ToLower(strings.TrimSpace(l))
		if l == "native" || l == "" {
			l = ""
		} else if consensus.ThinkPrefix(l) == "" {
			return nil, fmt.Errorf("--reason-in %q: not a language rein can reason in (%s, or native)", l, known)
		}
		if err := add(l); err != nil {
			return nil, err
		}
	}
	for _, set := range ConsensusSets(sets) {
		var langs []string
		for _, l := range strings.Split(set, "+") {
			l = strings.ToLower(strings.TrimSpace(l))
			if consensus.ThinkPrefix(l) == "" {
				return nil, fmt.Errorf("--consensus %q: %q is not a language rein can reason in (%s)", set, l, known)
			}
			langs = append(langs, l)
		}
		if len(langs) < 2 {
			return nil, fmt.Errorf("--consensus %q: a consensus needs two languages or more, joined by + (en+zh+fr)", set)
		}
		if err := add(ConsensusAxis + strings.Join(langs, "+")); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ConsensusSets returns the consensus points of the reasoning axis. Sets
// join their languages with + and commas separate them; a list with no +
// at all (en,zh,fr, as rein run --consensus takes it) is one set.
func ConsensusSets(given []string) []string {
	if len(given) < 2 || slices.ContainsFunc(given, func(s string) bool { return strings.Contains(s, "+") }) {
		return given
	}
	return []string{strings.Join(given, "+")}
}

// OpenSuiteContext is OpenSuite that gives up at once when ctx ends
// (Ctrl-C), however large the file; it then returns ctx's error.
func OpenSuiteContext(ctx context.Context, nameOrPath string) (*Suite, error) {
	type result struct {
		s   *Suite
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := OpenSuite(nameOrPath)
		ch <- result{s, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("suite: %w", r.err)
		}
		return r.s, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
