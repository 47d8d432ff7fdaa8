package bench

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const fixture = "testdata/results.jsonl"

func loadFixture(t *testing.T) ([]Result, []string) {
	t.Helper()
	rs, warns, err := LoadResults(fixture)
	if err != nil {
		t.Fatal(err)
	}
	return rs, warns
}

func TestLoadResults(t *testing.T) {
	rs, warns := loadFixture(t)
	// 17 records, one a torn last line, and one run recorded twice
	// (interrupted, then complete).
	if len(rs) != 16 {
		t.Errorf("%d results, want 16", len(rs))
	}
	joined := strings.Join(warns, "\n")
	for _, w := range []string{"results.jsonl: the last line is torn", "1 run was recorded more than once"} {
		if !strings.Contains(joined, w) {
			t.Errorf("warnings %q lack %q", warns, w)
		}
	}
	var dw *Result
	for i := range rs {
		if rs[i].Model == "qwen3:4b" && rs[i].Case == "doctor-who" && rs[i].Budget == "none" {
			dw = &rs[i]
		}
	}
	if dw == nil || dw.Failed() || dw.Metrics.ThinkingTokens != 500 || !strings.HasSuffix(dw.Source, "record 17") {
		t.Errorf("the complete record did not replace the interrupted one: %+v", dw)
	}
	r0 := rs[0]
	if r0.Model != "qwen3:0.6b" || r0.Budget != "steps=4" || r0.CutReason != "steps" || r0.Check == nil ||
		!r0.Check.Pass || r0.LanguageConsistent == nil || !*r0.LanguageConsistent || len(r0.TokenMS) != 189 ||
		r0.Metrics.ResumeEvalTokens != 12 {
		t.Errorf("first record %+v", r0)
	}
	if _, _, err := LoadResults(filepath.Join(t.TempDir(), "nope.jsonl")); err == nil {
		t.Error("missing file: no error")
	}
}

func rowOf(t *testing.T, rows []Row, model, budget, variant string) Row {
	t.Helper()
	for _, r := range rows {
		if r.Model == model && r.Budget == budget && r.Variant == variant {
			return r
		}
	}
	t.Fatalf("no row %s %s %s", model, budget, variant)
	return Row{}
}

func TestReportRows(t *testing.T) {
	rs, _ := loadFixture(t)
	rows := Report(rs, ReportOptions{})
	var order []string
	for _, r := range rows {
		order = append(order, r.Model+" "+r.Budget)
	}
	if want := "qwen3:0.6b steps=4,qwen3:0.6b none,qwen3:4b steps=4,qwen3:4b none"; strings.Join(order, ",") != want {
		t.Errorf("row order %q", order)
	}
	r := rowOf(t, rows, "qwen3:0.6b", "steps=4", "")
	if r.Runs != 4 || r.Checked != 3 || r.Passed != 2 || r.CutRate != 0.75 || r.LoopRate != 0 || r.Errors != 0 {
		t.Errorf("0.6b steps=4: %+v", r)
	}
	if math.Abs(r.AccLow-0.2077) > 1e-3 || math.Abs(r.AccHigh-0.9385) > 1e-3 {
		t.Errorf("0.6b steps=4 interval %v–%v", r.AccLow, r.AccHigh)
	}
	if r.StepsP50 != 4 || r.ThinkP50 != 165 || r.ResumeEvalTokens != 12 || r.LangConsistent != 0.75 {
		t.Errorf("0.6b steps=4 medians: %+v", r)
	}
	r = rowOf(t, rows, "qwen3:0.6b", "none", "")
	if r.LoopRate != 0.25 || r.CutRate != 0.25 || r.ResumeEvalTokens != 11 || r.ThinkP90 <= r.ThinkP50 {
		t.Errorf("0.6b none: %+v", r)
	}
	r = rowOf(t, rows, "qwen3:4b", "none", "")
	if r.Runs != 3 || r.Errors != 1 || r.Passed != 3 || !math.IsNaN(r.LangConsistent) || !math.IsNaN(r.ResumeEvalTokens) {
		t.Errorf("4b none: %+v", r)
	}
	byVar := Report(rs, ReportOptions{ByVariant: true})
	if len(byVar) != 8 {
		t.Errorf("%d rows by variant, want 8", len(byVar))
	}
	if r := rowOf(t, byVar, "qwen3:0.6b", "none", "fr"); r.Runs != 1 || r.Passed != 0 || r.LangConsistent != 0 {
		t.Errorf("0.6b none fr: %+v", r)
	}
}

func TestReportGolden(t *testing.T) {
	rs, warns := loadFixture(t)
	dir := t.TempDir()
	if err := WriteReport(dir, rs, ReportOptions{HTML: true, Warnings: warns}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"report.md", "report.csv", "bench.txt"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "golden", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./bench -run Golden -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (go test ./bench -run Golden -update rewrites it):\n%s", name, golden, got)
		}
	}
	for _, name := range []string{"speed.png", "speed.svg", "accuracy.png", "accuracy.svg", "lengths.png", "lengths.svg"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() < 1000 {
			t.Errorf("%s: %v", name, err)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	h := string(html)
	if strings.Count(h, "<svg") != 3 || strings.Contains(h, "<?xml") || !strings.Contains(h, "<td>qwen3:4b</td>") ||
		strings.Contains(h, `src="`) || !strings.Contains(h, "tok/s lost per 1k tokens") {
		t.Errorf("report.html is not one self-contained page:\n%.2000s", h)
	}
}

func TestReportWithoutLanguage(t *testing.T) {
	rs, _ := loadFixture(t)
	var some []Result
	for _, r := range rs {
		r.LanguageConsistent = nil
		some = append(some, r)
	}
	rows := Report(some, ReportOptions{})
	var md, csvb bytes.Buffer
	if err := WriteMarkdown(&md, some, rows, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&csvb, rows, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "lang ok") || strings.Contains(csvb.String(), "lang_consistent") {
		t.Error("a language column without language data")
	}
	rows = Report(rs, ReportOptions{})
	md.Reset()
	WriteMarkdown(&md, rs, rows, ReportOptions{})
	if !strings.Contains(md.String(), "| lang ok |") || !strings.Contains(md.String(), "| 75% |") {
		t.Errorf("no language column:\n%s", md.String())
	}
}

var benchLineRE = regexp.MustCompile(`^(Benchmark[A-Z]\S*)\t(\d+)((?:\t[-0-9.e+]+ \S+)+)$`)

func TestBenchLines(t *testing.T) {
	rs, _ := loadFixture(t)
	for _, byVariant := range []bool{false, true} {
		var b bytes.Buffer
		if err := WriteBenchLines(&b, rs, ReportOptions{ByVariant: byVariant}); err != nil {
			t.Fatal(err)
		}
		lines := 0
		total := 0
		for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
			if !strings.HasPrefix(l, "Benchmark") {
				if !regexp.MustCompile(`^(pkg: \S+|Unit \S+ better=(higher|lower))$`).MatchString(l) {
					t.Errorf("bad header line %q", l)
				}
				continue
			}
			m := benchLineRE.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("not a benchmark line: %q", l)
				continue
			}
			lines++
			n, _ := strconv.Atoi(m[2])
			total += n
			if regexp.MustCompile(`-\d+$`).MatchString(m[1]) {
				t.Errorf("%s ends like a GOMAXPROCS suffix", m[1])
			}
			if !strings.Contains(m[3], " ns/op") || !strings.Contains(m[3], " think-tok/s") {
				t.Errorf("%q lacks ns/op or think-tok/s", l)
			}
		}
		want := 4
		if byVariant {
			want = 8
		}
		if lines != want || total != 15 {
			t.Errorf("byVariant=%v: %d lines covering %d runs, want %d lines and 15 runs", byVariant, lines, total, want)
		}
	}
	// Names stay valid whatever the model is called.
	rs = []Result{{Model: "rein-demo/runaway model", Budget: "steps=2", Case: "c", Metrics: Metrics{WallMS: 1}}}
	var b bytes.Buffer
	WriteBenchLines(&b, rs, ReportOptions{})
	if !strings.Contains(b.String(), "BenchmarkRein/model=rein-demo_runaway_model/budget=steps=2\t1\t1000000 ns/op") {
		t.Errorf("bench line:\n%s", b.String())
	}
}

func TestStats(t *testing.T) {
	for _, tt := range []struct {
		k, n   int
		lo, hi float64
	}{{8, 10, 0.4902, 0.9433}, {0, 5, 0, 0.4345}, {5, 5, 0.5655, 1}} {
		lo, hi := wilson(tt.k, tt.n)
		if math.Abs(lo-tt.lo) > 1e-4 || math.Abs(hi-tt.hi) > 1e-4 {
			t.Errorf("wilson(%d, %d) = %v, %v; want %v, %v", tt.k, tt.n, lo, hi, tt.lo, tt.hi)
		}
	}
	if lo, _ := wilson(0, 0); !math.IsNaN(lo) {
		t.Error("wilson(0, 0) is not NaN")
	}
	xs := []float64{5, 1, 4, 2, 3}
	if median(xs) != 3 || quantile(xs, 0.9) != 4.6 || quantile([]float64{7}, 0.9) != 7 || !math.IsNaN(median(nil)) {
		t.Errorf("quantiles: %v %v", median(xs), quantile(xs, 0.9))
	}
	if xs[0] != 5 {
		t.Error("quantile sorted its input")
	}
	order := []string{"think-time=2m", "none", "steps=16", "steps=2", "bogus", "steps=4+think-tokens=100", "think-time=30s"}
	want := []string{"steps=2", "steps=16", "steps=4+think-tokens=100", "think-time=30s", "think-time=2m", "bogus", "none"}
	for i := range order {
		for j := range order {
			if budgetLess(order[i], order[j]) && indexOf(want, order[i]) > indexOf(want, order[j]) {
				t.Errorf("budgetLess(%q, %q)", order[i], order[j])
			}
		}
	}
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}
