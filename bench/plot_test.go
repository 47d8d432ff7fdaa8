package bench

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"math"
	"strings"
	"testing"
)

// svgText returns the text content of an SVG document, failing the test
// if it is not well-formed XML with an <svg> root.
func svgText(t *testing.T, name string, data []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	var text strings.Builder
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: not XML: %v", name, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
		case xml.CharData:
			text.Write(tok)
			text.WriteByte('\n')
		}
	}
	if root != "svg" {
		t.Fatalf("%s: root element %q", name, root)
	}
	return text.String()
}

func TestPlots(t *testing.T) {
	rs, _ := loadFixture(t)
	plots, err := Plots(rs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"speed":    {"qwen3:0.6b", "qwen3:4b", "Decode speed", "tokens/s"},
		"accuracy": {"qwen3:0.6b", "qwen3:4b", "steps=4", "none", "accuracy"},
		"lengths":  {"correct (10)", "wrong (2)", "thinking tokens"},
	}
	if len(plots) != len(want) {
		t.Fatalf("%d plots, want %d", len(plots), len(want))
	}
	for _, p := range plots {
		img, err := png.Decode(bytes.NewReader(p.PNG))
		if err != nil {
			t.Fatalf("%s.png: %v", p.Name, err)
		}
		if b := img.Bounds(); b.Dx() != 768 || b.Dy() != 480 {
			t.Errorf("%s.png is %v", p.Name, b)
		}
		// Not blank: a plot has many colours.
		colours := map[[4]uint32]bool{}
		for y := 0; y < img.Bounds().Dy(); y += 4 {
			for x := 0; x < img.Bounds().Dx(); x += 4 {
				r, g, b, a := img.At(x, y).RGBA()
				colours[[4]uint32{r, g, b, a}] = true
			}
		}
		if len(colours) < 5 {
			t.Errorf("%s.png has %d colours: blank?", p.Name, len(colours))
		}
		text := svgText(t, p.Name+".svg", p.SVG)
		for _, s := range want[p.Name] {
			if !strings.Contains(text, s) {
				t.Errorf("%s.svg lacks the text %q", p.Name, s)
			}
		}
	}
}

func TestPlotsWithoutData(t *testing.T) {
	plots, err := Plots([]Result{{Model: "m", Case: "c", Budget: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plots {
		if _, err := png.Decode(bytes.NewReader(p.PNG)); err != nil {
			t.Errorf("%s.png: %v", p.Name, err)
		}
		svgText(t, p.Name, p.SVG)
	}
}

// synthetic makes runs whose decode speed falls linearly with position:
// tps(i) = base − k·i/1000.
func synthetic(model string, runs, tokens int, base, k float64) []Result {
	var out []Result
	for r := range runs {
		ts := []float64{50}
		for i := 1; i < tokens; i++ {
			ts = append(ts, ts[i-1]+1000/(base-k*float64(i)/1000))
		}
		out = append(out, Result{Model: model, Case: "c", Repeat: r, TokenMS: ts,
			Metrics: Metrics{ThinkingTokens: float64(tokens)}})
	}
	return out
}

func TestSlope(t *testing.T) {
	rs := append(synthetic("fast", 3, 4000, 100, 10), synthetic("flat", 2, 2000, 40, 0)...)
	rs = append(rs, Result{Model: "short", TokenMS: []float64{1, 2}})
	got := Slope(rs)
	if math.Abs(got["fast"]-10) > 0.5 {
		t.Errorf("slope fast = %v, want 10", got["fast"])
	}
	if math.Abs(got["flat"]) > 0.05 {
		t.Errorf("slope flat = %v, want 0", got["flat"])
	}
	if _, ok := got["short"]; ok {
		t.Error("a model with one interval has a slope")
	}
	curves := SpeedCurves(rs, 500)
	if c := curves["fast"]; len(c) != 8 || math.Abs(c[0].TPS-97.5) > 0.5 || c[0].Pos != 250 || c[0].N != 3*499 {
		t.Errorf("fast curve %+v", c[:min(2, len(c))])
	}
	// Thinking only: answer tokens after a resume pause do not count.
	r := synthetic("cut", 1, 100, 50, 0)[0]
	r.Metrics.ThinkingTokens = 60
	for i := 60; i < 100; i++ {
		r.TokenMS[i] += 5000
	}
	if c := SpeedCurves([]Result{r}, 1000)["cut"]; len(c) != 1 || math.Abs(c[0].TPS-50) > 0.01 {
		t.Errorf("cut curve %+v", c)
	}
	// The fixture's 0.6b model loses about 20 tok/s per 1k tokens.
	fx, _ := loadFixture(t)
	if s := Slope(fx)["qwen3:0.6b"]; s < 10 || s > 30 {
		t.Errorf("fixture slope %v", s)
	}
}
