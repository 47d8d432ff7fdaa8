package bench

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseBudgets(t *testing.T) {
	type b struct {
		text                 string
		steps, tokens, loopC int
		time                 time.Duration
		loopSet              bool
		agree                int
		conf                 float64
	}
	tests := []struct {
		in   string
		want []b
		err  string
	}{
		{in: "steps=2,4,8,16,none", want: []b{
			{text: "steps=2", steps: 2, loopC: 3}, {text: "steps=4", steps: 4, loopC: 3},
			{text: "steps=8", steps: 8, loopC: 3}, {text: "steps=16", steps: 16, loopC: 3},
			{text: "none", loopC: 3}}},
		{in: "steps=8+think-tokens=2000", want: []b{{text: "steps=8+think-tokens=2000", steps: 8, tokens: 2000, loopC: 3}}},
		{in: " steps=8 + think-tokens=2000 , none", want: []b{
			{text: "steps=8+think-tokens=2000", steps: 8, tokens: 2000, loopC: 3}, {text: "none", loopC: 3}}},
		{in: "think-time=30s,2m", want: []b{
			{text: "think-time=30s", time: 30 * time.Second, loopC: 3}, {text: "think-time=2m", time: 2 * time.Minute, loopC: 3}}},
		{in: "loop=0,5", want: []b{{text: "loop=0", loopC: 0, loopSet: true}, {text: "loop=5", loopC: 5, loopSet: true}}},
		{in: "think-tokens=500+loop=2", want: []b{{text: "think-tokens=500+loop=2", tokens: 500, loopC: 2, loopSet: true}}},
		{in: "none", want: []b{{text: "none", loopC: 3}}},
		{in: "agree=2,3", want: []b{{text: "agree=2", agree: 2, loopC: 3}, {text: "agree=3", agree: 3, loopC: 3}}},
		{in: "confidence=0.9+steps=16", want: []b{{text: "confidence=0.9+steps=16", conf: 0.9, steps: 16, loopC: 3}}},
		{in: "confidence=0", err: "confidence wants a probability"},
		{in: "confidence=1.5", err: "confidence wants a probability"},
		{in: "agree=0", err: "agree wants a whole number ≥ 1"},
		{in: "", err: "no budgets"},
		{in: "steps=2,,4", err: "empty item"},
		{in: "4", err: `"4" has no key`},
		{in: "none,4", err: `"4" has no key`},
		{in: "steps=8+think-tokens=2000,4000", err: `"4000" has no key`},
		{in: "steps=0", err: "steps wants a whole number ≥ 1"},
		{in: "steps=-1", err: "steps wants a whole number ≥ 1"},
		{in: "think-tokens=x", err: "think-tokens wants a whole number"},
		{in: "think-time=30", err: "think-time wants a duration"},
		{in: "think-time=-1s", err: "think-time wants a duration"},
		{in: "loop=-1", err: "loop wants a whole number ≥ 0"},
		{in: "tokens=5", err: `unknown key "tokens"`},
		{in: "none+steps=2", err: "none cannot be combined"},
		{in: "steps=2+steps=3", err: "steps given twice"},
		{in: "steps=2,steps=2", err: "steps=2 given twice"},
		{in: "steps=", err: "want key=value"},
		{in: "think-tokens=9223372036854775807", err: "think-tokens must be at most 1000000000"},
		{in: "steps=1000001", err: "steps must be at most 1000000"},
		{in: "loop=9223372036854775807", err: "loop must be at most 1000000"},
		{in: "think-time=200h", err: "think-time must be at most 168h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseBudgets(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var gb []b
			for _, g := range got {
				l := g.Request().Resolve()
				gb = append(gb, b{text: g.String(), steps: l.MaxSteps, tokens: l.MaxThinkTokens,
					time: l.MaxThinkTime, loopC: l.Loop, loopSet: g.Loop != nil, agree: l.ExitOnAgreement, conf: l.ExitOnConfidence})
			}
			if !reflect.DeepEqual(gb, tt.want) {
				t.Errorf("got  %+v\nwant %+v", gb, tt.want)
			}
		})
	}
	if bs, _ := ParseBudgets("none,steps=2"); !bs[0].IsNone() || bs[1].IsNone() {
		t.Error("IsNone")
	}
}

func TestJobs(t *testing.T) {
	s, err := ParseSuite("s.yaml", []byte(`cases:
  - {id: a, prompt: "A?", prompts: {fr: "A ?"}, check: {number: 1}}
  - {id: b, prompt: "B?", models: ["m2*"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	budgets, _ := ParseBudgets("steps=2,none")
	jobs := Jobs([]string{"m1", "m2:latest"}, s, budgets, 2, 100)
	// m1: 2 repeats × (a: 2 variants) × 2 budgets = 8; m2: 2 × (2 + 1) × 2 = 12.
	if len(jobs) != 20 {
		t.Fatalf("%d jobs, want 20", len(jobs))
	}
	var keys []string
	seen := map[string]bool{}
	for _, j := range jobs {
		k := Key(j)
		if seen[k] {
			t.Errorf("duplicate key %s", k)
		}
		seen[k] = true
		keys = append(keys, k)
		if j.Seed != 100+j.Repeat {
			t.Errorf("%s: seed %d", k, j.Seed)
		}
		if j.Prompt != j.Case.PromptFor(j.Variant) {
			t.Errorf("%s: prompt %q", k, j.Prompt)
		}
		if j.Model == "m1" && j.Case.ID == "b" {
			t.Error("case b ran on m1")
		}
	}
	wantFirst := []string{
		"m1|a||steps=2|0|100", "m1|a||none|0|100", "m1|a|fr|steps=2|0|100", "m1|a|fr|none|0|100",
		"m1|a||steps=2|1|101",
	}
	if !reflect.DeepEqual(keys[:5], wantFirst) {
		t.Errorf("first keys %q\nwant %q", keys[:5], wantFirst)
	}
	if got := Jobs([]string{"m"}, s, nil, 0, 7); len(got) != 2 || got[0].Budget.Text != "none" || got[0].Seed != 7 {
		t.Errorf("defaults: %+v", got)
	}
}

// TestJobsReasoning: the reasoning axis is innermost, and its points have
// keys of their own; the main point ("") keeps the key of a bench without
// the axis, so that older results still resume.
func TestJobsReasoning(t *testing.T) {
	s, err := ParseSuite("s.yaml", []byte("cases:\n  - {id: a, prompt: \"A?\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	budgets, _ := ParseBudgets("none")
	jobs := JobsWith([]string{"m"}, s, budgets, []string{"", "fr", "consensus=en+zh"}, 1, 0)
	var keys []string
	for _, j := range jobs {
		keys = append(keys, Key(j))
	}
	want := []string{"m|a||none|0|0", "m|a||none|0|0|fr", "m|a||none|0|0|consensus=en+zh"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys %q, want %q", keys, want)
	}
	r := Result{Model: "m", Case: "a", Budget: "none", Reasoning: "fr"}
	if r.Key() != want[1] {
		t.Errorf("result key %q, want %q", r.Key(), want[1])
	}
	rows := Report([]Result{{Model: "m", Budget: "none"}, {Model: "m", Budget: "none", Reasoning: "fr"}}, ReportOptions{})
	if len(rows) != 2 || rows[0].Reasoning != "" || rows[1].Reasoning != "fr" {
		t.Errorf("rows %+v", rows)
	}
}
