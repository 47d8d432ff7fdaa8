package bench

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rein-dev/rein/hooks"
)

// ReportOptions configure reports.
type ReportOptions struct {
	// HTML also writes report.html, one page with the tables and plots.
	HTML bool
	// ByVariant splits each model × budget row by prompt variant.
	ByVariant bool
	// Warnings (from LoadResults) are listed at the end of report.md.
	Warnings []string
}

// Row is one line of the report: the runs of one model with one budget
// (and one variant, with ByVariant). Figures are NaN where no run gives
// them. Runs that failed (error or interruption) are counted in Errors
// and left out of every other figure.
type Row struct {
	Model, Budget, Variant string
	// Host is the server, set only when the results come from more than
	// one (rein bench --host A --host B): then each host has rows of its
	// own, side by side.
	Host string
	// Reasoning is the reasoning axis point (Job.Reasoning).
	Reasoning string
	// Runs counts the runs that did not fail; Errors those that did.
	Runs, Errors int
	// Checked counts the runs with a check, Passed those that passed.
	Checked, Passed int
	// Accuracy is Passed/Checked, with its 95% Wilson interval.
	Accuracy, AccLow, AccHigh float64
	// Medians (P50) and 90th percentiles of thinking tokens and steps.
	ThinkP50, ThinkP90, StepsP50, StepsP90 float64
	// CutRate is the share of runs cut, LoopRate of runs cut for a loop.
	CutRate, LoopRate float64
	// Medians of thinking and answer tokens per second, time to first
	// token and to first answer token (ms).
	ThinkTPS, AnswerTPS, TTFTMS, TTFAMS float64
	// Resume cost: medians over the runs that resumed after a cut.
	ResumeEvalTokens, ResumePromptMS float64
	// LangConsistent is the share of runs whose language_consistent flag
	// is true, over the runs that carry one; NaN when none do.
	LangConsistent float64
}

type groupKey struct{ model, host, budget, variant, reasoning string }

// Report groups results into rows, one per model × budget (× variant),
// sorted by model, then budget (by key and value, "none" last).
func Report(results []Result, opts ReportOptions) []Row {
	groups := map[groupKey][]*Result{}
	hosts := map[string]bool{}
	for _, r := range results {
		hosts[r.Host] = true
	}
	for i := range results {
		r := &results[i]
		k := groupKey{model: r.Model, budget: r.Budget, reasoning: r.Reasoning}
		if len(hosts) > 1 {
			k.host = r.Host
		}
		if opts.ByVariant {
			k.variant = r.Variant
		}
		groups[k] = append(groups[k], r)
	}
	keys := make([]groupKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b groupKey) int {
		switch {
		case a.model != b.model:
			return strings.Compare(a.model, b.model)
		case a.budget != b.budget:
			if budgetLess(a.budget, b.budget) {
				return -1
			}
			return 1
		case a.reasoning != b.reasoning:
			return strings.Compare(a.reasoning, b.reasoning)
		case a.host != b.host:
			return strings.Compare(a.host, b.host)
		}
		return strings.Compare(a.variant, b.variant)
	})
	rows := make([]Row, 0, len(keys))
	for _, k := range keys {
		rows = append(rows, makeRow(k, groups[k]))
	}
	return rows
}

func makeRow(k groupKey, rs []*Result) Row {
	row := Row{Model: k.model, Host: k.host, Budget: k.budget, Variant: k.variant, Reasoning: k.reasoning}
	var think, steps, ttps, atps, ttft, ttfa, rtok, rms, lang []float64
	cut, loop := 0, 0
	for _, r := range rs {
		if r.Failed() {
			row.Errors++
			continue
		}
		row.Runs++
		if r.Check != nil {
			row.Checked++
			if r.Check.Pass {
				row.Passed++
			}
		}
		m := r.Metrics
		think = append(think, m.ThinkingTokens)
		steps = append(steps, float64(r.Steps))
		if r.CutReason != "" {
			cut++
		}
		if r.CutReason == hooks.ReasonLoop {
			loop++
		}
		ttps = appendPos(ttps, m.ThinkingTPS)
		atps = appendPos(atps, m.AnswerTPS)
		ft, fa := m.FirstToken()
		ttft = appendPos(ttft, ft)
		ttfa = appendPos(ttfa, fa)
		if r.Resumed() {
			rtok = append(rtok, m.ResumeEvalTokens)
			rms = append(rms, m.ResumePromptMS)
		}
		if r.LanguageConsistent != nil {
			lang = append(lang, b2f(*r.LanguageConsistent))
		}
	}
	row.Accuracy = math.NaN()
	if row.Checked > 0 {
		row.Accuracy = float64(row.Passed) / float64(row.Checked)
	}
	row.AccLow, row.AccHigh = wilson(row.Passed, row.Checked)
	row.ThinkP50, row.ThinkP90 = median(think), quantile(think, 0.9)
	row.StepsP50, row.StepsP90 = median(steps), quantile(steps, 0.9)
	row.CutRate, row.LoopRate = math.NaN(), math.NaN()
	if row.Runs > 0 {
		row.CutRate = float64(cut) / float64(row.Runs)
		row.LoopRate = float64(loop) / float64(row.Runs)
	}
	row.ThinkTPS, row.AnswerTPS = median(ttps), median(atps)
	row.TTFTMS, row.TTFAMS = median(ttft), median(ttfa)
	row.ResumeEvalTokens, row.ResumePromptMS = median(rtok), median(rms)
	row.LangConsistent = mean(lang)
	return row
}

func appendPos(xs []float64, x float64) []float64 {
	if x > 0 {
		return append(xs, x)
	}
	return xs
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func hasLang(rows []Row) bool {
	return slices.ContainsFunc(rows, func(r Row) bool { return !math.IsNaN(r.LangConsistent) })
}

func variantName(v string) string {
	if v == "" {
		return "main"
	}
	return v
}

// table returns the report table as text cells, for Markdown and HTML.
func table(rows []Row, opts ReportOptions) (header []string, cells [][]string) {
	lang := hasLang(rows)
	header = []string{"model"}
	host := hasHost(rows)
	if host {
		header = append(header, "host")
	}
	header = append(header, "budget")
	reasoning := hasReasoning(rows)
	if reasoning {
		header = append(header, "reasoning")
	}
	if opts.ByVariant {
		header = append(header, "variant")
	}
	header = append(header, "runs", "acc", "95% CI", "think tok p50 / p90", "steps p50 / p90",
		"cut", "loop", "think tok/s", "answer tok/s", "TTFT ms", "TTFA ms", "resume tok", "resume ms")
	if lang {
		header = append(header, "lang ok")
	}
	header = append(header, "errors")
	for _, r := range rows {
		budget := r.Budget
		if budget == "" {
			budget = "-" // records from `rein run` logs carry no budget
		}
		c := []string{r.Model}
		if host {
			c = append(c, r.Host)
		}
		c = append(c, budget)
		if reasoning {
			c = append(c, ReasoningName(r.Reasoning))
		}
		if opts.ByVariant {
			c = append(c, variantName(r.Variant))
		}
		ci := "-"
		if r.Checked > 0 {
			ci = fmt.Sprintf("%s–%s", num(100*r.AccLow, 0), pct(r.AccHigh))
		}
		acc := pct(r.Accuracy)
		if r.Checked > 0 {
			acc = fmt.Sprintf("%s (%d/%d)", acc, r.Passed, r.Checked)
		}
		c = append(c, fmt.Sprint(r.Runs), acc, ci,
			cell(r.ThinkP50, 0)+" / "+cell(r.ThinkP90, 0),
			cell(r.StepsP50, 1)+" / "+cell(r.StepsP90, 1),
			pct(r.CutRate), pct(r.LoopRate),
			cell(r.ThinkTPS, 1), cell(r.AnswerTPS, 1), cell(r.TTFTMS, 0), cell(r.TTFAMS, 0),
			cell(r.ResumeEvalTokens, 0), cell(r.ResumePromptMS, 0))
		if lang {
			c = append(c, pct(r.LangConsistent))
		}
		c = append(c, fmt.Sprint(r.Errors))
		cells = append(cells, c)
	}
	return header, cells
}

// WriteCSV writes the rows as CSV with raw figures (rates as fractions;
// empty where a figure is unknown).
func WriteCSV(w io.Writer, rows []Row, opts ReportOptions) error {
	cw := csv.NewWriter(w)
	lang := hasLang(rows)
	head := []string{"model"}
	host := hasHost(rows)
	if host {
		head = append(head, "host")
	}
	head = append(head, "budget")
	reasoning := hasReasoning(rows)
	if reasoning {
		head = append(head, "reasoning")
	}
	if opts.ByVariant {
		head = append(head, "variant")
	}
	head = append(head, "runs", "errors", "checked", "passed", "accuracy", "acc_low", "acc_high",
		"think_tokens_p50", "think_tokens_p90", "steps_p50", "steps_p90", "cut_rate", "loop_rate",
		"think_tps", "answer_tps", "ttft_ms", "ttfa_ms", "resume_eval_tokens", "resume_prompt_ms")
	if lang {
		head = append(head, "lang_consistent")
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range rows {
		c := []string{r.Model}
		if host {
			c = append(c, r.Host)
		}
		c = append(c, r.Budget)
		if reasoning {
			c = append(c, r.Reasoning)
		}
		if opts.ByVariant {
			c = append(c, r.Variant)
		}
		c = append(c, fmt.Sprint(r.Runs), fmt.Sprint(r.Errors), fmt.Sprint(r.Checked), fmt.Sprint(r.Passed))
		for _, x := range []float64{r.Accuracy, r.AccLow, r.AccHigh, r.ThinkP50, r.ThinkP90,
			r.StepsP50, r.StepsP90, r.CutRate, r.LoopRate, r.ThinkTPS, r.AnswerTPS, r.TTFTMS, r.TTFAMS,
			r.ResumeEvalTokens, r.ResumePromptMS} {
			c = append(c, num(x, 4))
		}
		if lang {
			c = append(c, num(r.LangConsistent, 4))
		}
		if err := cw.Write(c); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteMarkdown writes report.md's text: a summary, the table, the decode
// speed slopes and links to the plots.
func WriteMarkdown(w io.Writer, results []Result, rows []Row, opts ReportOptions) error {
	var b bytes.Buffer
	b.WriteString("# rein report\n\n")
	b.WriteString(summaryLine(results, rows) + "\n\n")
	header, cells := table(rows, opts)
	esc := strings.NewReplacer("|", `\|`, "\n", " ")
	line := func(cs []string) {
		for i := range cs {
			cs[i] = esc.Replace(cs[i])
		}
		b.WriteString("| " + strings.Join(cs, " | ") + " |\n")
	}
	line(slices.Clone(header))
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
		if i >= 2+b2i(opts.ByVariant)+b2i(hasHost(rows)) {
			sep[i] = "--:"
		}
	}
	line(sep)
	for _, c := range cells {
		line(c)
	}
	b.WriteString("\n" + tableNote + "\n\n")
	b.WriteString("## Decode speed against trace length\n\n")
	for _, s := range slopeLines(results) {
		b.WriteString("- " + s + "\n")
	}
	b.WriteString("\n![decode speed](speed.png)\n\n")
	writeKindsMarkdown(&b, KindPoints(results))
	b.WriteString("## Thinking length, correct and wrong answers\n\n![thinking length](lengths.png)\n")
	if len(opts.Warnings) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, s := range opts.Warnings {
			b.WriteString("- " + s + "\n")
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

const tableNote = "acc is over the runs with a check, with a 95% Wilson interval. " +
	"Token and step counts are medians and 90th percentiles; speeds and times are medians. " +
	"cut is the share of runs whose thinking was cut, loop the share cut for a loop. " +
	"TTFT and TTFA count from the request, load and prompt evaluation included, as a user waits. " +
	"resume tok and resume ms are the prompt tokens and time the answer pass after a cut evaluated, over the runs that resumed. " +
	"errors counts runs that failed or were interrupted; they are left out of the other columns."

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func summaryLine(results []Result, rows []Row) string {
	models, budgets := map[string]bool{}, map[string]bool{}
	var sources []string
	runs, errs := 0, 0
	for _, r := range rows {
		models[r.Model], budgets[r.Budget] = true, true
		runs += r.Runs
		errs += r.Errors
	}
	for _, r := range results {
		src, _, _ := strings.Cut(r.Source, ": record")
		if src = filepath.Base(src); src != "." && !slices.Contains(sources, src) {
			sources = append(sources, src)
		}
	}
	s := fmt.Sprintf("%d runs of %d models with %d budgets", runs, len(models), len(budgets))
	if errs > 0 {
		s += fmt.Sprintf(", and %d that failed", errs)
	}
	if len(sources) > 0 {
		s += ", from " + strings.Join(sources, ", ")
	}
	return s + "."
}

// minSlopeSpan is the shortest trace, in tokens, whose speed curve gets a
// slope per 1k tokens in the report: below it, scheduling noise in a few
// intervals extrapolates to absurd figures.
const minSlopeSpan = 256

// slopeLines describes each model's decode speed against trace length.
func slopeLines(results []Result) []string {
	curves := SpeedCurves(results, 0)
	slopes := Slope(results)
	var out []string
	for _, m := range sortedKeys(curves) {
		c := curves[m]
		if len(c) == 0 {
			continue
		}
		s := fmt.Sprintf("%s: %s tok/s at the start of the trace", m, num(c[0].TPS, 1))
		span := c[len(c)-1].Pos + c[len(c)-1].Width/2
		if sl, ok := slopes[m]; ok && span >= minSlopeSpan {
			s += fmt.Sprintf(", %s tok/s lost per 1k tokens of context (linear fit up to %s tokens)",
				num(sl, 2), num(span, 0))
		} else if ok {
			s += fmt.Sprintf("; traces of %s tokens are too short for a slope per 1k tokens", num(span, 0))
		}
		out = append(out, s+".")
	}
	if len(out) == 0 {
		out = append(out, "no run recorded token times.")
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// WriteReport writes into dir: report.md, report.csv, bench.txt, the plots
// (speed, accuracy, lengths, each as .png and .svg) and, with opts.HTML,
// report.html.
func WriteReport(dir string, results []Result, opts ReportOptions) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rows := Report(results, opts)
	files := map[string]func(io.Writer) error{
		"report.md":  func(w io.Writer) error { return WriteMarkdown(w, results, rows, opts) },
		"report.csv": func(w io.Writer) error { return WriteCSV(w, rows, opts) },
		"bench.txt":  func(w io.Writer) error { return WriteBenchLines(w, results, opts) },
	}
	for _, name := range sortedKeys(files) {
		var b bytes.Buffer
		if err := files[name](&b); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	plots, err := Plots(results)
	if err != nil {
		return err
	}
	for _, p := range plots {
		for ext, data := range map[string][]byte{".png": p.PNG, ".svg": p.SVG} {
			if err := os.WriteFile(filepath.Join(dir, p.Name+ext), data, 0o644); err != nil {
				return err
			}
		}
	}
	if opts.HTML {
		var b bytes.Buffer
		if err := writeHTML(&b, results, rows, plots, opts); err != nil {
			return fmt.Errorf("report.html: %w", err)
		}
		return os.WriteFile(filepath.Join(dir, "report.html"), b.Bytes(), 0o644)
	}
	return nil
}

// hasHost reports whether the rows are split by server.
func hasHost(rows []Row) bool {
	return slices.ContainsFunc(rows, func(r Row) bool { return r.Host != "" })
}

// hasReasoning reports whether some row is on the reasoning axis; the
// tables get a reasoning column only then.
func hasReasoning(rows []Row) bool {
	for _, r := range rows {
		if r.Reasoning != "" {
			return true
		}
	}
	return false
}

// ReasoningName is a reasoning axis point as tables and messages show it.
func ReasoningName(s string) string {
	if s == "" {
		return "native"
	}
	return s
}
