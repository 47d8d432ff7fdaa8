package bench

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const goodSuite = `name: my-suite
cases:
  - id: mult
    prompt: "What is 6*7?"
    prompts: {ru: "Сколько будет 6*7?", fr: "Combien font 6*7 ?"}
    tags: [math]
    check: {number: 42}
  - id: actors
    prompt: "Which actors played the 8th, 9th and 10th Doctors and the War Doctor?"
    system: "Be brief."
    check: {contains_all: [McGann, Eccleston, Tennant, Hurt], on: answer}
  - id: open
    prompt: "Who are you?"
`

func TestParseSuite(t *testing.T) {
	s, err := ParseSuite("my.yaml", []byte(goodSuite))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "my-suite" || len(s.Cases) != 3 || s.File != "my.yaml" {
		t.Fatalf("suite = %+v", s)
	}
	mult := s.Cases[0]
	if mult.ID != "mult" || mult.Prompt != "What is 6*7?" || mult.Line != 3 ||
		mult.Check == nil || *mult.Check.Number != 42 || !reflect.DeepEqual(mult.Tags, []string{"math"}) {
		t.Errorf("mult = %+v", mult)
	}
	if got := mult.Variants(); !reflect.DeepEqual(got, []string{"", "fr", "ru"}) {
		t.Errorf("variants = %q", got)
	}
	if mult.PromptFor("ru") != "Сколько будет 6*7?" || mult.PromptFor("") != mult.Prompt {
		t.Error("PromptFor")
	}
	act := s.Cases[1]
	if act.System != "Be brief." || act.Check.On != OnAnswer || len(act.Check.ContainsAll) != 4 {
		t.Errorf("actors = %+v, check %+v", act, act.Check)
	}
	if s.Cases[2].Check != nil {
		t.Error("a case without check has one")
	}
}

func TestParseSuiteErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error, each with file and line
	}{
		{"unknown top key", "name: x\ncolor: red\ncases:\n  - {id: a, prompt: p}\n",
			[]string{`s.yaml:2: suite: unknown key "color"`}},
		{"unknown case key", "cases:\n  - id: a\n    prompt: p\n    promt: q\n",
			[]string{`s.yaml:4: case "a": unknown key "promt"`}},
		{"unknown check key", "cases:\n  - id: a\n    prompt: p\n    check: {contains: [x]}\n",
			[]string{`s.yaml:4: case "a": check: unknown key "contains"`, `s.yaml:4: case "a": check: empty check`}},
		{"duplicate id", "cases:\n  - {id: a, prompt: p}\n  - {id: b, prompt: p}\n  - {id: a, prompt: q}\n",
			[]string{`s.yaml:4: case "a": duplicate id (first at line 2)`}},
		{"missing prompt", "cases:\n  - id: a\n    tags: [x]\n", []string{`s.yaml:2: case "a": missing prompt`}},
		{"missing id", "cases:\n  - prompt: p\n", []string{`s.yaml:2: case: missing id`}},
		{"bad regex", "cases:\n  - id: a\n    prompt: p\n    check:\n      regex: \"([a-z\"\n",
			[]string{`s.yaml:5: case "a": check.regex: bad regex`}},
		{"empty list", "cases:\n  - id: a\n    prompt: p\n    check: {contains_all: []}\n",
			[]string{`s.yaml:4: case "a": check.contains_all: empty list`}},
		{"empty check", "cases:\n  - id: a\n    prompt: p\n    check: {on: both}\n",
			[]string{`s.yaml:4: case "a": check: empty check`}},
		{"bad number", "cases:\n  - id: a\n    prompt: p\n    check: {number: forty}\n",
			[]string{`s.yaml:4: case "a": check.number: "forty" is not a number`}},
		{"tolerance without number", "cases:\n  - id: a\n    prompt: p\n    check: {regex: x, tolerance: 1}\n",
			[]string{`s.yaml:4: case "a": check.tolerance: only applies to number`}},
		{"bad on", "cases:\n  - id: a\n    prompt: p\n    check: {regex: x, on: all}\n",
			[]string{`s.yaml:4: case "a": check.on: want answer, thinking or both`}},
		{"list wanted", "cases:\n  - id: a\n    prompt: p\n    tags: math\n",
			[]string{`s.yaml:4: case "a": tags: want a list`}},
		{"empty prompt variant", "cases:\n  - id: a\n    prompt: p\n    prompts: {fr: \"\"}\n",
			[]string{`s.yaml:4: case "a": prompts.fr is empty`}},
		{"no cases", "name: x\n", []string{`s.yaml:1: suite: no cases`}},
		{"empty cases", "cases: []\n", []string{`s.yaml:1: cases: want a non-empty list`}},
		{"empty file", "", []string{`s.yaml: empty suite`}},
		{"not a mapping", "- a\n- b\n", []string{`s.yaml:1: suite: want a mapping`}},
		{"syntax error", "cases:\n  - id: a\n   prompt: p\n", []string{`s.yaml:3: `}},
		{"duplicate key", "cases:\n  - id: a\n    prompt: p\n    prompt: q\n", []string{`s.yaml:4: case "a": key "prompt" given twice`}},
		{"bad models pattern", "cases:\n  - id: a\n    prompt: p\n    models: [\"[\"]\n", []string{`s.yaml:4: case "a": models: bad pattern`}},
		{"check not a mapping", "cases:\n  - id: a\n    prompt: p\n    check: [x]\n",
			[]string{`s.yaml:4: case "a": check: want a mapping, got a list`}},
		{"language given twice", "cases:\n  - id: a\n    prompt: p\n    prompts: {fr: a, fr: b}\n",
			[]string{`s.yaml:4: case "a": prompts: key "fr" given twice`}},
		{"duplicate check key", "cases:\n  - id: a\n    prompt: p\n    check:\n      regex: x\n      regex: y\n",
			[]string{`s.yaml:6: case "a": check: key "regex" given twice`}},
		{"null case", "cases:\n  - ~\n  - {id: b, prompt: p}\n", []string{`s.yaml:2: case: want a mapping, got nothing`}},
		{"case not a mapping", "cases:\n  - just text\n", []string{`s.yaml:2: case: want a mapping, got "just text"`}},
		{"cases not a list", "cases: foo\n", []string{`s.yaml:1: cases: want a non-empty list, got "foo"`}},
		{"null tag", "cases:\n  - id: a\n    prompt: p\n    tags: [x, ~]\n", []string{`s.yaml:4: case "a": tags: want a string, got nothing`}},
		{"unknown key in a flow mapping", "cases:\n  - {id: a, prompt: p, color: red}\n",
			[]string{`s.yaml:2: case "a": unknown key "color"`}},
		{"several problems", "cases:\n  - id: a\n  - id: a\n    prompt: p\n",
			[]string{`s.yaml:2: case "a": missing prompt`, `s.yaml:3: case "a": duplicate id`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSuite("s.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadSuite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(path, []byte("cases:\n  - {id: a, prompt: p, check: {number: 3/4}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSuite(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "mine" || *s.Cases[0].Check.Number != 0.75 {
		t.Errorf("suite %q, number %v", s.Name, *s.Cases[0].Check.Number)
	}
	if _, err := LoadSuite(filepath.Join(dir, "nope.yaml")); err == nil {
		t.Error("missing file: no error")
	}
	if s, err := OpenSuite(path); err != nil || s.Name != "mine" {
		t.Errorf("OpenSuite(path) = %v, %v", s, err)
	}
	if s, err := OpenSuite("seed"); err != nil || s.Name != "seed" {
		t.Errorf("OpenSuite(seed) = %v, %v", s, err)
	}
}

func TestBuiltinSuites(t *testing.T) {
	if got := BuiltinSuites(); !reflect.DeepEqual(got, []string{"demo", "seed", "tiny"}) {
		t.Errorf("BuiltinSuites() = %q", got)
	}
	if _, ok := BuiltinSuite("nope"); ok {
		t.Error("BuiltinSuite(nope) found")
	}
	seed, ok := BuiltinSuite("seed")
	if !ok {
		t.Fatal("no seed suite")
	}
	byID := map[string]*Case{}
	for _, c := range seed.Cases {
		byID[c.ID] = c
	}
	if c := byID["who"]; c == nil || c.Check != nil || c.Prompts["ru"] == "" {
		t.Errorf("who = %+v", c)
	}
	if c := byID["kde2-freebsd"]; c == nil || !strings.Contains(c.Prompt, "KDE2") || !strings.Contains(c.Prompt, "FreeBSD") {
		t.Errorf("kde2 = %+v", c)
	}
	if c := byID["doctor-who"]; c == nil || !reflect.DeepEqual(c.Check.ContainsAll, []string{"McGann", "Eccleston", "Tennant", "Hurt"}) {
		t.Errorf("doctor-who = %+v", c)
	}
	if c := byID["fastapi-lifespan"]; c == nil || c.Check.ContainsAll[0] != "lifespan" || len(c.Check.NotContains) != 1 {
		t.Errorf("fastapi = %+v", c)
	} else if pass, _ := c.Check.Score("", "@app.on_event(\"startup\")"); pass {
		t.Error("fastapi check passes on_event")
	}
	maths := 0
	for _, c := range seed.Cases {
		if c.Check == nil || c.Check.Number == nil {
			continue
		}
		maths++
		if got := c.Variants(); !reflect.DeepEqual(got, []string{"", "es", "fr", "ru", "zh"}) {
			t.Errorf("%s: variants %q, want main (en), es, fr, ru, zh", c.ID, got)
		}
	}
	if maths < 5 {
		t.Errorf("%d maths cases, want ≥ 5", maths)
	}

	demo, ok := BuiltinSuite("demo")
	if !ok {
		t.Fatal("no demo suite")
	}
	// The demo models' scripted answers (models/scripted/demo.go) pass
	// their cases' checks, and only those cases run on each model.
	answers := map[string]string{
		"rein-demo/runaway":   "There are three r's in \"strawberry\".",
		"rein-demo/closer":    "17 × 3 = 51.",
		"rein-demo/magistral": "La capitale est Paris.",
	}
	for model, answer := range answers {
		for _, name := range []string{model, model + ":latest"} {
			n := 0
			for _, c := range demo.Cases {
				if !c.RunsOn(name) {
					continue
				}
				n++
				if pass, detail := c.Check.Score("", answer); !pass {
					t.Errorf("%s on %s: %s", c.ID, name, detail)
				}
			}
			if n != 1 {
				t.Errorf("%s runs %d demo cases, want 1", name, n)
			}
		}
	}
}
