package bench

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseSuite: any file either parses to cases that each have an id and
// a prompt, or fails with errors that name the file and a line within it.
func FuzzParseSuite(f *testing.F) {
	for _, name := range BuiltinSuites() {
		data, err := builtinFS.ReadFile("suites/" + name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("cases:\n  - id: a\n   prompt: p\n"))
	f.Add([]byte("cases:\n  - {id: a, prompt: p, check: {number: 3/4, tolerance: 0.1}}\n"))
	f.Add([]byte("cases:\n  - id: a\n    prompt: p\n    check: {regex: \"(\"}\n  - id: a\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSuite("s.yaml", data)
		if err != nil {
			lines := yamlLines(data)
			var errs []error
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				errs = j.Unwrap()
			} else {
				errs = []error{err}
			}
			for _, e := range errs {
				var se *SuiteError
				if !errors.As(e, &se) {
					t.Fatalf("error %q is not a SuiteError", e)
				}
				if se.File != "s.yaml" || se.Line < 0 || se.Line > lines {
					t.Fatalf("error %q: line %d of %d", e, se.Line, lines)
				}
			}
			return
		}
		if len(s.Cases) == 0 {
			t.Fatal("a suite with no cases")
		}
		ids := map[string]bool{}
		for _, c := range s.Cases {
			if c.ID == "" || strings.TrimSpace(c.Prompt) == "" || ids[c.ID] {
				t.Fatalf("case %+v: empty or duplicate id, or no prompt", c)
			}
			ids[c.ID] = true
		}
	})
}

// FuzzLoadResults: any results file loads without a panic; every record
// comes from a line of the file, and only the last line can be torn.
func FuzzLoadResults(f *testing.F) {
	f.Add([]byte(`{"model":"m","case":"a","check":{"pass":true},"language_consistent":1}` + "\n"))
	f.Add([]byte(`{"model":"m","case":"a","cut_reason":"interrupted"}` + "\n" + `{"model":"m","case":"a","answer":"4"}` + "\n"))
	f.Add([]byte("\n\n{\"model\":\"m\"}\n{\"model\":\"m\",\"case\":"))
	f.Add([]byte("[1,2]\nnull\n{\"repeat\":\"x\"}\n\xff\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "r.jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		results, warnings, err := LoadResults(path)
		if err != nil {
			t.Fatalf("LoadResults: %v", err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		if len(results) > lines {
			t.Fatalf("%d records from %d lines", len(results), lines)
		}
		torn := 0
		for _, w := range warnings {
			if strings.Contains(w, "torn") {
				torn++
			}
			if strings.Contains(w, "\n") {
				t.Fatalf("warning on more than one line: %q", w)
			}
		}
		if torn > 1 {
			t.Fatalf("%d torn lines reported", torn)
		}
		for _, r := range results {
			if !strings.HasPrefix(r.Source, path+": record ") {
				t.Fatalf("record source %q", r.Source)
			}
		}
	})
}

// yamlLines counts the lines of data as YAML does: CR LF, CR, LF, NEL,
// LS and PS each end a line.
func yamlLines(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	return 1 + strings.Count(s, "\n") + strings.Count(s, "\r") +
		strings.Count(s, "\u0085") + strings.Count(s, "\u2028") + strings.Count(s, "\u2029")
}
