package bench

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// quantile returns the q-quantile of xs by linear interpolation between
// order statistics (R's type 7); NaN when xs is empty.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	h := q * float64(len(s)-1)
	lo := int(math.Floor(h))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (h-float64(lo))*(s[hi]-s[lo])
}

func median(xs []float64) float64 { return quantile(xs, 0.5) }

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}

// wilson returns the 95% Wilson score interval of k successes in n trials.
func wilson(k, n int) (lo, hi float64) {
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	const z = 1.959963984540054
	p := float64(k) / float64(n)
	nf := float64(n)
	d := 1 + z*z/nf
	c := (p + z*z/(2*nf)) / d
	h := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / d
	return math.Max(0, c-h), math.Min(1, c+h)
}

// fitLine returns the weighted least-squares line y = a + b·x.
func fitLine(xs, ys, ws []float64) (a, b float64, ok bool) {
	var sw, sx, sy, sxx, sxy float64
	for i := range xs {
		w := ws[i]
		sw += w
		sx += w * xs[i]
		sy += w * ys[i]
		sxx += w * xs[i] * xs[i]
		sxy += w * xs[i] * ys[i]
	}
	den := sw*sxx - sx*sx
	if sw == 0 || math.Abs(den) < 1e-12*math.Max(1, sw*sxx) {
		return 0, 0, false
	}
	b = (sw*sxy - sx*sy) / den
	a = (sy - b*sx) / sw
	return a, b, true
}

// num formats x with at most dec decimals and no trailing zeros; "" for NaN.
func num(x float64, dec int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return ""
	}
	p := math.Pow(10, float64(dec))
	r := math.Round(x*p) / p
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// cell is num for tables: "-" for NaN.
func cell(x float64, dec int) string {
	if s := num(x, dec); s != "" {
		return s
	}
	return "-"
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return num(100*x, 0) + "%"
}

// budgetLess orders budget texts: by their keys, then their values, with
// "none" last and texts that do not parse after the rest.
func budgetLess(a, b string) bool {
	ga, va := budgetOrder(a)
	gb, vb := budgetOrder(b)
	if ga != gb {
		return ga < gb
	}
	if c := slices.Compare(va, vb); c != 0 {
		return c < 0
	}
	return a < b
}

func budgetOrder(text string) (string, []float64) {
	if text == KeyNone {
		return "\uffff", nil
	}
	if _, err := ParseBudget(text); err != nil || text == "" {
		return "\ufffe" + text, nil
	}
	var keys []string
	var vals []float64
	for _, p := range strings.Split(text, "+") {
		k, v, _ := strings.Cut(p, "=")
		keys = append(keys, k)
		if b, err := ParseBudget(p); err == nil && k == KeyThinkTime {
			vals = append(vals, b.Budgets.Resolve().MaxThinkTime.Seconds())
		} else {
			x, _ := strconv.ParseFloat(v, 64)
			vals = append(vals, x)
		}
	}
	return strings.Join(keys, "+"), vals
}
