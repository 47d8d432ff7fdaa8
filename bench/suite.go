// Package bench runs matrices of reasoning runs (models × cases × prompt
// variants × budgets × repeats), scores them, appends them to a results
// JSONL file, and turns results files into tables, benchmark lines and
// plots. It never prints; cmd/rein does.
package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Suite is a named list of cases, read from a YAML file:
//
//	name: my-suite
//	cases:
//	  - id: mult
//	    prompt: "What is 6*7?"
//	    prompts: {ru: "Сколько будет 6*7?", fr: "Combien font 6*7 ?"}
//	    system: "Answer briefly."
//	    tags: [math]
//	    check: {number: 42}
//
// Besides the keys issue 5 shows, a case may say `models: [glob, …]`: it
// then runs only on the models whose names match one of the patterns
// (path.Match syntax). The demo suite uses it, because each scripted demo
// model gives the same answer whatever it is asked.
type Suite struct {
	Name  string
	Cases []*Case
	// File is where the suite was read from: a path, or "builtin:NAME".
	File string
}

// Case is one question of a suite.
type Case struct {
	ID string
	// Prompt is the main prompt; its variant key is "".
	Prompt string
	// Prompts holds the same question in other languages, by language key;
	// each one is a run of its own.
	Prompts map[string]string
	// System, when set, overrides the model's system prompt.
	System string
	Tags   []string
	// Models, when set, limits the case to models matching these patterns.
	Models []string
	// Check scores the run; nil means the case is measured, not scored.
	Check *Check
	// Line is the case's line in its file.
	Line int
}

// Variants returns the case's variant keys: "" (the main prompt) first,
// then the language keys in order.
func (c *Case) Variants() []string {
	vs := []string{""}
	for k := range c.Prompts {
		vs = append(vs, k)
	}
	slices.Sort(vs[1:])
	return vs
}

// PromptFor returns the prompt of a variant ("" is the main prompt).
func (c *Case) PromptFor(variant string) string {
	if variant == "" {
		return c.Prompt
	}
	return c.Prompts[variant]
}

// SuiteError is one problem in a suite file.
type SuiteError struct {
	File string
	Line int // 0 when unknown
	Msg  string
}

func (e *SuiteError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// LoadSuite reads a suite file. Its errors name the file, the line and
// the problem; several problems are joined.
func LoadSuite(path string) (*Suite, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseSuite(path, data)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// ParseSuite parses a suite; name is the file name used in errors and as
// the suite's name when the file gives none. Unknown keys, duplicate ids,
// missing prompts, bad regular expressions and empty checks are errors.
func ParseSuite(name string, data []byte) (*Suite, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var raw rawSuite
	decoded := true
	if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
		decoded = false
	} else if err != nil {
		msg := err.Error()
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &SuiteError{name, problemLine(data, line, m[2]), m[2]}
		}
		return nil, &SuiteError{name, 0, strings.TrimPrefix(msg, "yaml: ")}
	}
	k := &checker{file: name}
	s := k.suite(&raw, decoded)
	if len(k.errs) > 0 {
		return nil, errors.Join(k.errs...)
	}
	s.File = name
	return s, nil
}

// problemLine finds the line of a YAML syntax error. yaml.v3 reports the
// line where the enclosing block starts; the problem is on the first line
// whose prefix of the document fails with the same message. The parser,
// fed one line at a time, fails a line or so after the problem, so that is
// where the search starts: a few parses of the file, not one per line.
func problemLine(data []byte, line int, msg string) int {
	ends := lineEnds(data)
	fails := func(n int) bool {
		var doc yaml.Node
		err := yaml.Unmarshal(data[:ends[n-1]], &doc)
		return err != nil && strings.HasSuffix(err.Error(), ": "+msg)
	}
	if line < 1 || line > len(ends) {
		return line
	}
	hi := linesReadBeforeError(data, ends, msg)
	if hi < line || !fails(hi) {
		if hi = len(ends); !fails(hi) {
			return line
		}
	}
	// The first failing prefix is in (lo, hi]: gallop back from hi, then
	// halve the gap.
	lo := line - 1
	for step := 1; hi-step > lo; step *= 2 {
		if !fails(hi - step) {
			lo = hi - step
			break
		}
		hi -= step
	}
	for hi-lo > 1 {
		if mid := lo + (hi-lo)/2; fails(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// lineEnds returns the offset just past each line of data (the last line
// may lack its newline).
func lineEnds(data []byte) []int {
	var ends []int
	for i, c := range data {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		ends = append(ends, len(data))
	}
	return ends
}

// linesReadBeforeError parses data as a stream handed out a line at a time
// and returns how many lines the parser had read when it failed with msg,
// or len(ends) when it did not.
func linesReadBeforeError(data []byte, ends []int, msg string) int {
	r := &lineReader{data: data, ends: ends}
	var doc yaml.Node
	err := yaml.NewDecoder(r).Decode(&doc)
	if err == nil || !strings.HasSuffix(err.Error(), ": "+msg) {
		return len(ends)
	}
	return r.line
}

// lineReader hands out data no further than the end of a line per Read;
// line is how many lines it has started to hand out.
type lineReader struct {
	data []byte
	ends []int
	pos  int
	line int
}

func (r *lineReader) Read(p []byte) (int, error) {
	if r.pos >= len(r.data) {
		return 0, io.EOF
	}
	for r.line == 0 || r.ends[r.line-1] <= r.pos {
		r.line++
	}
	n := copy(p, r.data[r.pos:r.ends[r.line-1]])
	r.pos += n
	return n, nil
}
