// Package bench runs matrices of reasoning runs (models × cases × prompt
// variants × budgets × repeats), scores them, appends them to a results
// JSONL file, and turns results files into tables, benchmark lines and
// plots. It never prints; cmd/rein does.
package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
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
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &SuiteError{name, problemLine(data, line, m[2]), m[2]}
		}
		return nil, &SuiteError{name, 0, strings.TrimPrefix(msg, "yaml: ")}
	}
	d := &decoder{file: name}
	s := d.suite(&doc)
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
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

type decoder struct {
	file string
	errs []error
}

func (d *decoder) errf(n *yaml.Node, format string, a ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &SuiteError{d.file, line, fmt.Sprintf(format, a...)})
}

// fields walks a mapping node, calling fn with each key and value; it
// reports duplicate keys and keys fn does not know (fn returns false).
func (d *decoder) fields(n *yaml.Node, what string, fn func(key string, v *yaml.Node) bool) bool {
	if n.Kind != yaml.MappingNode {
		d.errf(n, "%s: want a mapping, got %s", what, kindName(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			d.errf(k, "%s: key %q given twice", what, k.Value)
			continue
		}
		seen[k.Value] = true
		if !fn(k.Value, v) {
			d.errf(k, "%s: unknown key %q", what, k.Value)
		}
	}
	return true
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

func (d *decoder) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errf(n, "%s: want a string, got %s", what, kindName(n))
		return ""
	}
	return n.Value
}

func (d *decoder) strList(n *yaml.Node, what string) []string {
	if n.Kind != yaml.SequenceNode {
		d.errf(n, "%s: want a list, got %s", what, kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		s := d.str(c, what)
		if c.Kind == yaml.ScalarNode && strings.TrimSpace(s) == "" {
			d.errf(c, "%s: empty entry", what)
			continue
		}
		out = append(out, s)
	}
	return out
}

func (d *decoder) suite(doc *yaml.Node) *Suite {
	s := &Suite{}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		d.errf(nil, "empty suite: want a mapping with name and cases")
		return s
	}
	root := doc.Content[0]
	var casesNode *yaml.Node
	d.fields(root, "suite", func(k string, v *yaml.Node) bool {
		switch k {
		case "name":
			s.Name = d.str(v, "name")
		case "cases":
			casesNode = v
		default:
			return false
		}
		return true
	})
	if s.Name == "" {
		base := filepath.Base(d.file)
		s.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	if root.Kind != yaml.MappingNode {
		return s
	}
	if casesNode == nil {
		d.errf(root, "suite: no cases")
		return s
	}
	if casesNode.Kind != yaml.SequenceNode || len(casesNode.Content) == 0 {
		d.errf(casesNode, "cases: want a non-empty list, got %s", kindName(casesNode))
		return s
	}
	ids := map[string]int{}
	for _, cn := range casesNode.Content {
		c := d.caseNode(cn)
		if c == nil {
			continue
		}
		if c.ID != "" {
			if prev, ok := ids[c.ID]; ok {
				d.errf(cn, "case %q: duplicate id (first at line %d)", c.ID, prev)
				continue
			}
			ids[c.ID] = cn.Line
		}
		s.Cases = append(s.Cases, c)
	}
	return s
}

func (d *decoder) caseNode(n *yaml.Node) *Case {
	c := &Case{Line: n.Line}
	what := "case"
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "id" {
				what = fmt.Sprintf("case %q", n.Content[i+1].Value)
			}
		}
	}
	ok := d.fields(n, what, func(k string, v *yaml.Node) bool {
		switch k {
		case "id":
			c.ID = strings.TrimSpace(d.str(v, what+": id"))
			if c.ID == "" && v.Kind == yaml.ScalarNode {
				d.errf(v, "%s: empty id", what)
			} else if strings.ContainsAny(c.ID, "|\n") {
				d.errf(v, "%s: id must not contain '|' or a newline", what)
			}
		case "prompt":
			c.Prompt = d.str(v, what+": prompt")
		case "prompts":
			c.Prompts = map[string]string{}
			d.fields(v, what+": prompts", func(lang string, p *yaml.Node) bool {
				text := d.str(p, fmt.Sprintf("%s: prompts.%s", what, lang))
				switch {
				case strings.TrimSpace(lang) == "" || strings.ContainsAny(lang, "|\n"):
					d.errf(p, "%s: bad language key %q", what, lang)
				case strings.TrimSpace(text) == "" && p.Kind == yaml.ScalarNode:
					d.errf(p, "%s: prompts.%s is empty", what, lang)
				}
				c.Prompts[lang] = text
				return true
			})
		case "system":
			c.System = d.str(v, what+": system")
		case "tags":
			c.Tags = d.strList(v, what+": tags")
		case "models":
			c.Models = d.strList(v, what+": models")
			for _, p := range c.Models {
				if _, err := path.Match(p, ""); err != nil {
					d.errf(v, "%s: models: bad pattern %q", what, p)
				}
			}
		case "check":
			c.Check = d.check(v, what+": check")
		default:
			return false
		}
		return true
	})
	if !ok {
		return nil
	}
	if !hasKey(n, "id") {
		d.errf(n, "case: missing id")
	}
	if strings.TrimSpace(c.Prompt) == "" {
		d.errf(n, "%s: missing prompt", what)
	}
	return c
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

func (d *decoder) check(n *yaml.Node, what string) *Check {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // "check:" with nothing: no check
	}
	c := &Check{}
	kinds := 0
	list := func(v *yaml.Node, key string) []string {
		kinds++
		l := d.strList(v, what+"."+key)
		if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
			d.errf(v, "%s.%s: empty list", what, key)
		}
		return l
	}
	var tolNode *yaml.Node
	d.fields(n, what, func(k string, v *yaml.Node) bool {
		switch k {
		case "contains_all":
			c.ContainsAll = list(v, k)
		case "contains_any":
			c.ContainsAny = list(v, k)
		case "not_contains":
			c.NotContains = list(v, k)
		case "one_of":
			c.OneOf = list(v, k)
		case "regex":
			kinds++
			c.Regex = d.str(v, what+".regex")
			if c.Regex == "" && v.Kind == yaml.ScalarNode {
				d.errf(v, "%s.regex: empty", what)
			} else if re, err := regexp.Compile(c.Regex); err != nil {
				d.errf(v, "%s.regex: bad regex: %v", what, err)
			} else {
				c.re = re
			}
		case "number":
			kinds++
			s := d.str(v, what+".number")
			if x, ok := parseNumberLiteral(s); ok {
				c.Number = &x
			} else if v.Kind == yaml.ScalarNode {
				d.errf(v, "%s.number: %q is not a number", what, s)
			}
		case "tolerance":
			tolNode = v
			s := d.str(v, what+".tolerance")
			x, err := strconv.ParseFloat(s, 64)
			if err != nil || x < 0 {
				if v.Kind == yaml.ScalarNode {
					d.errf(v, "%s.tolerance: want a number ≥ 0, got %q", what, s)
				}
			}
			c.Tolerance = x
		case "on":
			s := d.str(v, what+".on")
			switch s {
			case OnAnswer, OnThinking, OnBoth:
				c.On = s
			default:
				if v.Kind == yaml.ScalarNode {
					d.errf(v, "%s.on: want answer, thinking or both, got %q", what, s)
				}
			}
		default:
			return false
		}
		return true
	})
	if n.Kind != yaml.MappingNode {
		return nil
	}
	if kinds == 0 {
		d.errf(n, "%s: empty check: give contains_all, contains_any, not_contains, regex, number or one_of (or leave check out)", what)
	}
	if tolNode != nil && c.Number == nil {
		d.errf(tolNode, "%s.tolerance: only applies to number", what)
	}
	return c
}
