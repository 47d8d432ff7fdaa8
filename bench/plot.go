package bench

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// SpeedPoint is the decode speed over one bucket of trace positions.
type SpeedPoint struct {
	// Pos is the bucket's centre and Width its size, in tokens of trace.
	Pos, Width float64
	// TPS is tokens per second over the bucket: the number of token
	// intervals divided by their total time (so one slow token weighs as
	// much as it cost).
	TPS float64
	// N is the number of token intervals in the bucket, over all runs.
	N int
}

// SpeedCurves returns each model's decode speed against position in the
// thinking trace, from successive token_ms differences, pooled over the
// model's runs in buckets of bucket tokens (0 chooses about 40 buckets
// over the longest trace, at least 8 tokens each). Only the thinking
// tokens count (the first thinking_tokens entries of token_ms), so the
// pause of a resume after a cut does not show as a slow token; a run with
// no thinking counts all its tokens. Buckets with fewer than 2 intervals
// are left out.
func SpeedCurves(results []Result, bucket int) map[string][]SpeedPoint {
	traces := map[string][][]float64{}
	longest := 0
	for i := range results {
		r := &results[i]
		if r.Failed() || len(r.TokenMS) < 2 {
			continue
		}
		t := r.TokenMS
		if th := int(r.Metrics.ThinkingTokens); th > 1 && th <= len(t) {
			t = t[:th]
		}
		traces[r.Model] = append(traces[r.Model], t)
		longest = max(longest, len(t))
	}
	if bucket <= 0 {
		bucket = max(8, (longest+39)/40)
	}
	out := map[string][]SpeedPoint{}
	for m, ts := range traces {
		var sum []float64
		var cnt []int
		for _, t := range ts {
			for i := 1; i < len(t); i++ {
				dt := t[i] - t[i-1]
				if dt < 0 || math.IsNaN(dt) {
					continue
				}
				b := i / bucket
				for len(sum) <= b {
					sum, cnt = append(sum, 0), append(cnt, 0)
				}
				sum[b] += dt
				cnt[b]++
			}
		}
		var pts []SpeedPoint
		for b := range sum {
			if cnt[b] < 2 || sum[b] <= 0 {
				continue
			}
			pts = append(pts, SpeedPoint{Pos: float64(b*bucket) + float64(bucket)/2, Width: float64(bucket),
				TPS: float64(cnt[b]) * 1000 / sum[b], N: cnt[b]})
		}
		if len(pts) > 0 {
			out[m] = pts
		}
	}
	return out
}

// Slope returns, for each model, the tokens per second lost per 1k tokens
// of context: minus the slope of a line fitted to its speed curve (least
// squares, each bucket weighted by its number of intervals). A model
// whose curve has fewer than two buckets is left out.
func Slope(results []Result) map[string]float64 {
	out := map[string]float64{}
	for m, pts := range SpeedCurves(results, 0) {
		if len(pts) < 2 {
			continue
		}
		xs, ys, ws := make([]float64, len(pts)), make([]float64, len(pts)), make([]float64, len(pts))
		for i, p := range pts {
			xs[i], ys[i], ws[i] = p.Pos/1000, p.TPS, float64(p.N)
		}
		if _, b, ok := fitLine(xs, ys, ws); ok {
			out[m] = -b
		}
	}
	return out
}

// Plot is one rendered plot.
type Plot struct {
	// Name is the file name without extension: speed, accuracy, lengths.
	Name     string
	PNG, SVG []byte
}

const plotW, plotH = 8 * vg.Inch, 5 * vg.Inch

// Plots draws the report's plots: speed (decode speed against position in
// the trace, one line per model), accuracy (accuracy against the mean
// thinking tokens of each budget, answer probes included, one series per
// budget kind and model, points labelled with the budget; KindPoints) and
// lengths (histograms of thinking length for correct and wrong answers).
func Plots(results []Result) ([]Plot, error) {
	results = reasoningSeries(results)
	var models []string
	for _, r := range results {
		if !slices.Contains(models, r.Model) {
			models = append(models, r.Model)
		}
	}
	slices.Sort(models)
	var out []Plot
	for _, mk := range []struct {
		name string
		fn   func([]Result, []string) (*plot.Plot, error)
	}{{"speed", speedPlot}, {"accuracy", accuracyPlot}, {"lengths", lengthsPlot}} {
		p, err := mk.fn(results, models)
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", mk.name, err)
		}
		pl := Plot{Name: mk.name}
		for _, f := range []struct {
			format string
			dst    *[]byte
		}{{"png", &pl.PNG}, {"svg", &pl.SVG}} {
			wt, err := p.WriterTo(plotW, plotH, f.format)
			if err != nil {
				return nil, fmt.Errorf("plot %s: %w", mk.name, err)
			}
			var b bytes.Buffer
			if _, err := wt.WriteTo(&b); err != nil {
				return nil, fmt.Errorf("plot %s: %w", mk.name, err)
			}
			*f.dst = b.Bytes()
		}
		out = append(out, pl)
	}
	return out, nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Title.Padding = vg.Points(8)
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	return p
}

func modelStyle(i int) (color.Color, draw.GlyphDrawer) {
	return plotutil.Color(i), plotutil.Shape(i)
}

func speedPlot(results []Result, models []string) (*plot.Plot, error) {
	p := newPlot("Decode speed against position in the trace", "position in the thinking trace (tokens)", "tokens/s")
	curves := SpeedCurves(results, 0)
	top := 0.0
	for i, m := range models {
		pts := curves[m]
		if len(pts) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(pts))
		for j, pt := range pts {
			xys[j].X, xys[j].Y = pt.Pos, pt.TPS
			top = max(top, pt.TPS)
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.Color, _ = modelStyle(i)
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(m, l)
	}
	// Room above the lines for the legend.
	p.Y.Min, p.Y.Max = 0, max(1, top*1.25)
	return p, nil
}

func accuracyPlot(results []Result, models []string) (*plot.Plot, error) {
	p := newPlot("Accuracy against mean thinking tokens, by budget kind",
		"mean thinking tokens (answer probes included)", "accuracy")
	points := KindPoints(results)
	// One series per model × budget kind; the kind alone names it when
	// there is one model.
	type series struct {
		name   string
		xys    plotter.XYs
		labels []string
	}
	var all []*series
	byName := map[string]*series{}
	right := 0.0
	for _, pt := range points {
		if pt.Checked == 0 {
			continue
		}
		name := pt.Kind
		if len(models) > 1 {
			name = pt.Model + " · " + pt.Kind
		}
		s := byName[name]
		if s == nil {
			s = &series{name: name}
			byName[name] = s
			all = append(all, s)
		}
		s.xys = append(s.xys, plotter.XY{X: pt.ThinkMean, Y: pt.Accuracy})
		s.labels = append(s.labels, pt.Budget)
		right = max(right, pt.ThinkMean)
	}
	for i, s := range all {
		idx := make([]int, len(s.xys))
		for j := range idx {
			idx[j] = j
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			return cmpFloat(s.xys[a].X, s.xys[b].X)
		})
		sx, sl := make(plotter.XYs, len(s.xys)), make([]string, len(s.xys))
		for j, k := range idx {
			sx[j], sl[j] = s.xys[k], s.labels[k]
		}
		l, sc, err := plotter.NewLinePoints(sx)
		if err != nil {
			return nil, err
		}
		c, shape := modelStyle(i)
		l.Color, sc.Color, sc.Shape = c, c, shape
		l.Width = vg.Points(1.5)
		sc.Radius = vg.Points(3.5)
		lab, err := plotter.NewLabels(plotter.XYLabels{XYs: sx, Labels: sl})
		if err != nil {
			return nil, err
		}
		for j := range lab.TextStyle {
			lab.TextStyle[j].Color = c
			lab.TextStyle[j].Font.Size = vg.Points(8)
			lab.TextStyle[j].XAlign = draw.XLeft
		}
		lab.Offset = vg.Point{X: vg.Points(4), Y: vg.Points(3)}
		p.Add(l, sc, lab)
		p.Legend.Add(s.name, l, sc)
	}
	// Room for the legend above 100% and for the labels on the right.
	p.Y.Min, p.Y.Max = 0, 1.3
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0%"}, {Value: 0.25},
		{Value: 0.5, Label: "50%"}, {Value: 0.75}, {Value: 1, Label: "100%"}})
	p.X.Min, p.X.Max = 0, max(1, right*1.15)
	return p, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func lengthsPlot(results []Result, _ []string) (*plot.Plot, error) {
	p := newPlot("Thinking length of correct and wrong answers", "thinking tokens", "runs")
	var ok, bad []float64
	for i := range results {
		r := &results[i]
		if r.Failed() || r.Check == nil {
			continue
		}
		if r.Check.Pass {
			ok = append(ok, r.Metrics.ThinkingTokens)
		} else {
			bad = append(bad, r.Metrics.ThinkingTokens)
		}
	}
	all := append(slices.Clone(ok), bad...)
	if len(all) == 0 {
		p.Title.Text += " (no scored runs)"
		return p, nil
	}
	lo, hi := slices.Min(all), slices.Max(all)
	n := min(30, max(5, int(math.Ceil(math.Sqrt(float64(len(all)))))*2))
	if hi <= lo {
		lo, hi = lo-0.5, lo+0.5
	}
	width := (hi - lo) / float64(n)
	top := 0.0
	for _, s := range []struct {
		name string
		vs   []float64
		c    color.NRGBA
	}{
		{"correct", ok, color.NRGBA{R: 0x1b, G: 0x9e, B: 0x4b, A: 0xff}},
		{"wrong", bad, color.NRGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}},
	} {
		bins := make([]plotter.HistogramBin, n)
		for j := range bins {
			bins[j].Min, bins[j].Max = lo+float64(j)*width, lo+float64(j+1)*width
		}
		for _, v := range s.vs {
			j := min(n-1, int((v-lo)/width))
			bins[j].Weight++
			top = max(top, bins[j].Weight)
		}
		fill := s.c
		fill.A = 0x70
		h := &plotter.Histogram{Bins: bins, Width: width, FillColor: fill, LineStyle: plotter.DefaultLineStyle}
		h.LineStyle.Color = s.c
		p.Add(h)
		p.Legend.Add(fmt.Sprintf("%s (%d)", s.name, len(s.vs)), h)
	}
	p.Y.Min, p.Y.Max = 0, top*1.3
	return p, nil
}

// reasoningSeries gives each reasoning axis point a series of its own in
// the plots: the results on the axis are copied with the point added to
// the model's name ("qwen3:4b · fr").
func reasoningSeries(results []Result) []Result {
	on := false
	for _, r := range results {
		on = on || r.Reasoning != ""
	}
	if !on {
		return results
	}
	out := slices.Clone(results)
	for i := range out {
		out[i].Model += " · " + ReasoningName(out[i].Reasoning)
	}
	return out
}
