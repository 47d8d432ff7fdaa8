package bench

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// WriteBenchLines writes the results in Go's benchmark format, so that
// benchstat can compare two results files:
//
//	BenchmarkRein/model=qwen3:0.6b/budget=steps=4  20  1234567 ns/op  412 think-tokens/op  …  0.85 acc
//
// There is one line per model × budget (× variant, with ByVariant) ×
// repeat; its iteration count is the number of runs it covers (the cases
// and variants of that repeat) and its values are their means. With one
// repeat that is one line per model × budget; with several, benchstat sees
// one sample per repeat, which it needs for its intervals and tests.
// Failed runs are left out. Units: ns/op (wall time), think-tokens/op,
// answer-tokens/op, steps/op, think-tok/s, answer-tok/s, ttft-ms,
// ttfa-ms, cut-rate, loop-rate and acc (over the runs with a check).
func WriteBenchLines(w io.Writer, results []Result, opts ReportOptions) error {
	type key struct {
		name   string
		model  string
		budget string
		varnt  string
		repeat int

		reasoning string
	}
	groups := map[key][]*Result{}
	var keys []key
	for i := range results {
		r := &results[i]
		if r.Failed() {
			continue
		}
		k := key{model: r.Model, budget: r.Budget, repeat: r.Repeat}
		k.name = "BenchmarkRein/model=" + benchValue(r.Model) + "/budget=" + benchValue(r.Budget)
		if r.Reasoning != "" {
			k.reasoning = r.Reasoning
			k.name += "/reasoning=" + benchValue(r.Reasoning)
		}
		if opts.ByVariant {
			k.varnt = r.Variant
			k.name += "/variant=" + benchValue(variantName(r.Variant))
		}
		if benchProcsRE.MatchString(k.name) {
			k.name += "_" // a trailing -N would read as GOMAXPROCS
		}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	slices.SortFunc(keys, func(a, b key) int {
		switch {
		case a.model != b.model:
			return strings.Compare(a.model, b.model)
		case a.budget != b.budget:
			if budgetLess(a.budget, b.budget) {
				return -1
			}
			return 1
		case a.varnt != b.varnt:
			return strings.Compare(a.varnt, b.varnt)
		}
		return a.repeat - b.repeat
	})
	var b strings.Builder
	b.WriteString("pkg: github.com/rein-dev/rein\n")
	for _, u := range []string{"think-tok/s", "answer-tok/s", "acc"} {
		fmt.Fprintf(&b, "Unit %s better=higher\n", u)
	}
	for _, u := range []string{"ttft-ms", "ttfa-ms", "loop-rate"} {
		fmt.Fprintf(&b, "Unit %s better=lower\n", u)
	}
	for _, k := range keys {
		rs := groups[k]
		var wall, think, ans, steps, ttps, atps, ttft, ttfa, cut, loop, acc []float64
		for _, r := range rs {
			m := r.Metrics
			wall = append(wall, m.WallMS*1e6)
			think = append(think, m.ThinkingTokens)
			ans = append(ans, m.AnswerTokens)
			steps = append(steps, float64(r.Steps))
			ttps = appendPos(ttps, m.ThinkingTPS)
			atps = appendPos(atps, m.AnswerTPS)
			ft, fa := m.FirstToken()
			ttft = appendPos(ttft, ft)
			ttfa = appendPos(ttfa, fa)
			cut = append(cut, b2f(r.CutReason != ""))
			loop = append(loop, b2f(r.CutReason == "loop"))
			if r.Check != nil {
				acc = append(acc, b2f(r.Check.Pass))
			}
		}
		fmt.Fprintf(&b, "%s\t%d", k.name, len(rs))
		for _, v := range []struct {
			xs   []float64
			unit string
			dec  int
		}{
			{wall, "ns/op", 0}, {think, "think-tokens/op", 1}, {ans, "answer-tokens/op", 1},
			{steps, "steps/op", 2}, {ttps, "think-tok/s", 2}, {atps, "answer-tok/s", 2},
			{ttft, "ttft-ms", 1}, {ttfa, "ttfa-ms", 1}, {cut, "cut-rate", 4}, {loop, "loop-rate", 4},
			{acc, "acc", 4},
		} {
			if len(v.xs) > 0 {
				fmt.Fprintf(&b, "\t%s %s", num(mean(v.xs), v.dec), v.unit)
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var (
	benchProcsRE = regexp.MustCompile(`-[0-9]+$`)
	benchBadRE   = regexp.MustCompile(`[\s/]+`)
)

// benchValue makes a name part valid in a benchmark name: no white space,
// and no "/" (which would start a new part).
func benchValue(s string) string {
	if s == "" {
		return "unset"
	}
	return benchBadRE.ReplaceAllString(s, "_")
}
