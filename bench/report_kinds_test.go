package bench

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBudgetKind(t *testing.T) {
	for _, tt := range []struct{ budget, kind string }{
		{"none", "none"},
		{"", "-"},
		{"steps=4", "steps"},
		{"steps=8+think-tokens=2000", "steps+think-tokens"},
		{"think-tokens=100", "think-tokens"},
		{"think-time=30s", "think-time"},
		{"agree=2", "agree"},
		{"confidence=0.9", "confidence"},
		{"agree=2+steps=16", "agree+steps"},
		{"steps=8+loop=0", "steps"},
		{"loop=0", "loop"},
		{"bogus", "bogus"},
	} {
		if got := BudgetKind(tt.budget); got != tt.kind {
			t.Errorf("BudgetKind(%q) = %q, want %q", tt.budget, got, tt.kind)
		}
	}
}

const kindsFixture = "testdata/kinds.jsonl"

func loadKinds(t *testing.T) []Result {
	t.Helper()
	rs, warns, err := LoadResults(kindsFixture)
	if err != nil || len(warns) > 0 {
		t.Fatalf("%s: %v %q", kindsFixture, err, warns)
	}
	return rs
}

func TestKindPoints(t *testing.T) {
	points := KindPoints(loadKinds(t))
	// Means worked out by hand from the fixture's records: thinking tokens
	// plus probe tokens over the runs that did not fail.
	want := []struct {
		model, budget, kind    string
		runs, checked, passed  int
		thinkMean, probeMean   float64
		probes                 bool
		bestBudget             string
		bestAcc, bestThinkMean float64
	}{
		{"m2", "none", "none", 2, 2, 2, 130, 0, false, "", 0, 0},
		{"m2", "agree=2", "agree", 2, 2, 1, 86, 16, true, "", 0, 0},
		{"rein-tiny/reasoner", "none", "none", 5, 4, 4, 62, 0, false, "", 0, 0},
		{"rein-tiny/reasoner", "steps=2", "steps", 4, 4, 1, 20, 0, false, "", 0, 0},
		{"rein-tiny/reasoner", "steps=4", "steps", 4, 4, 3, 33, 0, false, "", 0, 0},
		{"rein-tiny/reasoner", "steps=8+loop=0", "steps", 2, 2, 1, 47.5, 0, false, "", 0, 0},
		{"rein-tiny/reasoner", "think-tokens=40", "think-tokens", 4, 4, 2, 39.5, 0, false, "", 0, 0},
		{"rein-tiny/reasoner", "agree=2", "agree", 4, 4, 3, 70.5, 19.25, true, "none", 1, 62},
		{"rein-tiny/reasoner", "confidence=0.9", "confidence", 4, 4, 1, 25.5, 7, true, "steps=2", 0.25, 20},
	}
	if len(points) != len(want) {
		t.Fatalf("%d points, want %d: %+v", len(points), len(want), points)
	}
	for i, w := range want {
		p := points[i]
		if p.Model != w.model || p.Budget != w.budget || p.Kind != w.kind || p.Runs != w.runs ||
			p.Checked != w.checked || p.Passed != w.passed || math.Abs(p.ThinkMean-w.thinkMean) > 1e-9 ||
			math.Abs(p.ProbeMean-w.probeMean) > 1e-9 || p.Probes != w.probes ||
			math.Abs(p.Accuracy-float64(w.passed)/float64(w.checked)) > 1e-9 {
			t.Errorf("point %d = %+v, want %+v", i, p, w)
		}
		best, ok := BestFixed(points, p)
		if ok != (w.bestBudget != "") || ok && (best.Budget != w.bestBudget || best.Accuracy != w.bestAcc ||
			best.ThinkMean != w.bestThinkMean) {
			t.Errorf("%s %s: best fixed %+v %v, want %s", p.Model, p.Budget, best, ok, w.bestBudget)
		}
	}
}

// TestKindsGolden: report.md of the kinds fixture, the budget kinds table
// included, against testdata/golden/kinds.md; the accuracy plot names a
// series per model × kind and labels the points with their budgets.
func TestKindsGolden(t *testing.T) {
	rs := loadKinds(t)
	dir := t.TempDir()
	if err := WriteReport(dir, rs, ReportOptions{HTML: true}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden", "kinds.md")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	} else if want, err := os.ReadFile(golden); err != nil {
		t.Fatalf("%v (run go test ./bench -run Golden -update)", err)
	} else if !bytes.Equal(got, want) {
		t.Errorf("report.md differs from %s (go test ./bench -run Golden -update rewrites it):\n%s", golden, got)
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<th>best fixed at ≤ tokens</th>", "<td>confidence=0.9</td>", `<td class="n">70.5</td>`,
		"<td>none: 100% (4/4) at 62</td>"} {
		if !strings.Contains(string(html), s) {
			t.Errorf("report.html lacks %q", s)
		}
	}
	plots, err := Plots(rs)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plots {
		if p.Name != "accuracy" {
			continue
		}
		text := svgText(t, "accuracy.svg", p.SVG)
		for _, s := range []string{"rein-tiny/reasoner · none", "rein-tiny/reasoner · steps", "rein-tiny/reasoner · think-tokens",
			"rein-tiny/reasoner · agree", "rein-tiny/reasoner · confidence", "m2 · agree", "steps=8+loop=0",
			"confidence=0.9", "mean thinking tokens (answer probes included)"} {
			if !strings.Contains(text, s) {
				t.Errorf("accuracy.svg lacks %q", s)
			}
		}
		if strings.Contains(text, "reasoner · steps+loop") {
			t.Error("loop=K made a kind of its own")
		}
	}
}
