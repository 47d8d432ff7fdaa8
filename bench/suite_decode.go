package bench

import (
	"cmp"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rein-dev/rein/internal/yamlpos"
)

// A suite file is decoded by yaml.v3 into the raw types below, with
// KnownFields(true): yaml.v3 itself reports unknown keys and keys given
// twice. Each field keeps the line of its value and, when the value is
// not of the field's shape, what was there, so that the checks after the
// decoding (ids, prompts, patterns, regular expressions, numbers) name the
// file, the line, the field and the problem. The suite, a case and a check
// take their own node's line with the decoder's unmarshal function (the
// yaml.v2-style Unmarshaler), which keeps KnownFields for what they hold.

// scalar is a string field: Line is its value's line (0 when the key is
// absent or its value is null) and Got names a value that is not a string.
type scalar struct {
	Value string
	Line  int
	Got   string
}

func (s *scalar) UnmarshalYAML(n *yaml.Node) error {
	s.Line = n.Line
	if n.Kind != yaml.ScalarNode {
		s.Got = kindName(n)
		return nil
	}
	s.Value = n.Value
	return nil
}

// scalarList is a list of strings; Nulls are the lines of its null
// entries, which yaml.v3 leaves out of Items.
type scalarList struct {
	Items []scalar
	Nulls []int
	Line  int
	Got   string
}

func (l *scalarList) UnmarshalYAML(n *yaml.Node) error {
	l.Line = n.Line
	if n.Kind != yaml.SequenceNode {
		l.Got = kindName(n)
		return nil
	}
	l.Nulls = nullLines(n)
	return n.Decode(&l.Items)
}

// nullLines returns the lines of a list's null entries.
func nullLines(n *yaml.Node) []int {
	var out []int
	for _, c := range n.Content {
		if c.Kind == yaml.ScalarNode && c.Tag == "!!null" {
			out = append(out, c.Line)
		}
	}
	return out
}

// promptMap is the prompts mapping, language → prompt; Issues are the
// decoder's problems inside it (a language given twice).
type promptMap struct {
	Texts  map[string]scalar
	Issues []string
	Line   int
	Got    string
}

func (m *promptMap) UnmarshalYAML(n *yaml.Node) error {
	m.Line = n.Line
	if n.Kind != yaml.MappingNode {
		m.Got = kindName(n)
		return nil
	}
	var te *yaml.TypeError
	if err := n.Decode(&m.Texts); errors.As(err, &te) {
		m.Issues = te.Errors
	} else if err != nil {
		return err
	}
	return nil
}

// place is where a suite, a case or a check was, and the problems the
// decoder found inside it.
type place struct {
	line   int
	got    string // not a mapping: what was there
	issues []string
	// aborted: a key given twice stopped yaml.v3 decoding the mapping.
	aborted bool
	id      string // a case's id as written, for the errors
}

// decodeMapping decodes a mapping into v (a pointer to the plain type
// behind the unmarshaler) and keeps the decoder's problems in p.
func (p *place) decodeMapping(unmarshal func(any) error, v any) error {
	n, err := yamlpos.Node(unmarshal)
	if err != nil || n == nil {
		return err
	}
	p.line = n.Line
	if n.Kind != yaml.MappingNode {
		p.got = kindName(n)
		return nil
	}
	err = unmarshal(v)
	var te *yaml.TypeError
	switch {
	case errors.As(err, &te):
		p.issues = te.Errors
	case err != nil:
		return err
	}
	if len(p.issues) > 0 {
		// A key given twice stops yaml.v3 decoding the mapping; the keys
		// and the id are read from the node, for the errors only.
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			p.aborted = p.aborted || seen[key]
			seen[key] = true
			if key == "id" {
				p.id = n.Content[i+1].Value
			}
		}
	}
	return nil
}

type rawSuite struct {
	Name  scalar   `yaml:"name"`
	Cases caseList `yaml:"cases"`
	at    place
}

func (s *rawSuite) UnmarshalYAML(unmarshal func(any) error) error {
	type plain rawSuite
	return s.at.decodeMapping(unmarshal, (*plain)(s))
}

type caseList struct {
	Items []rawCase
	Nulls []int
	Line  int
	Got   string
}

func (l *caseList) UnmarshalYAML(unmarshal func(any) error) error {
	n, err := yamlpos.Node(unmarshal)
	if err != nil || n == nil {
		return err
	}
	l.Line = n.Line
	if n.Kind != yaml.SequenceNode {
		l.Got = kindName(n)
		return nil
	}
	if len(n.Content) == 0 {
		l.Got = "an empty list"
		return nil
	}
	l.Nulls = nullLines(n)
	return unmarshal(&l.Items)
}

type rawCase struct {
	ID      scalar     `yaml:"id"`
	Prompt  scalar     `yaml:"prompt"`
	Prompts promptMap  `yaml:"prompts"`
	System  scalar     `yaml:"system"`
	Tags    scalarList `yaml:"tags"`
	Models  scalarList `yaml:"models"`
	Check   *rawCheck  `yaml:"check"`
	at      place
}

func (c *rawCase) UnmarshalYAML(unmarshal func(any) error) error {
	type plain rawCase
	return c.at.decodeMapping(unmarshal, (*plain)(c))
}

type rawCheck struct {
	ContainsAll scalarList `yaml:"contains_all"`
	ContainsAny scalarList `yaml:"contains_any"`
	NotContains scalarList `yaml:"not_contains"`
	OneOf       scalarList `yaml:"one_of"`
	Regex       scalar     `yaml:"regex"`
	Number      scalar     `yaml:"number"`
	Tolerance   scalar     `yaml:"tolerance"`
	On          scalar     `yaml:"on"`
	at          place
}

func (c *rawCheck) UnmarshalYAML(unmarshal func(any) error) error {
	type plain rawCheck
	return c.at.decodeMapping(unmarshal, (*plain)(c))
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

// checker turns the raw suite into a Suite, collecting its problems.
type checker struct {
	file string
	errs []error
}

func (k *checker) errf(line int, format string, a ...any) {
	k.errs = append(k.errs, &SuiteError{k.file, line, fmt.Sprintf(format, a...)})
}

// issues reports the decoder's problems inside a place, as
// `what: unknown key "x"` and `what: key "x" given twice`.
func (k *checker) issues(p place, what string) {
	for _, s := range p.issues {
		switch is := yamlpos.ParseIssue(s); {
		case is.Unknown != "":
			k.errf(is.Line, "%s: unknown key %q", what, is.Unknown)
		case is.Twice != "":
			k.errf(is.Line, "%s: key %q given twice", what, is.Twice)
		default:
			k.errf(is.Line, "%s: %s", what, is.Msg)
		}
	}
}

func (k *checker) str(s scalar, what string) string {
	if s.Got != "" {
		k.errf(s.Line, "%s: want a string, got %s", what, s.Got)
	}
	return s.Value
}

func (k *checker) strList(l scalarList, what string) []string {
	if l.Got != "" {
		k.errf(l.Line, "%s: want a list, got %s", what, l.Got)
		return nil
	}
	for _, line := range l.Nulls {
		k.errf(line, "%s: want a string, got nothing", what)
	}
	out := make([]string, 0, len(l.Items))
	for _, it := range l.Items {
		line := it.Line
		if line == 0 {
			line = l.Line
		}
		s := k.str(it, what)
		if it.Got == "" && strings.TrimSpace(s) == "" {
			k.errf(line, "%s: empty entry", what)
			continue
		}
		out = append(out, s)
	}
	return out
}

func (k *checker) suite(raw *rawSuite, decoded bool) *Suite {
	s := &Suite{}
	at := raw.at
	switch {
	case !decoded:
		k.errf(0, "empty suite: want a mapping with name and cases")
		return s
	case at.line == 0:
		k.errf(1, "suite: want a mapping, got nothing")
		return s
	case at.got != "":
		k.errf(at.line, "suite: want a mapping, got %s", at.got)
		return s
	}
	k.issues(at, "suite")
	if at.aborted {
		return s
	}
	s.Name = k.str(raw.Name, "name")
	if s.Name == "" {
		base := filepath.Base(k.file)
		s.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	cl := raw.Cases
	switch {
	case cl.Line == 0:
		k.errf(at.line, "suite: no cases")
		return s
	case cl.Got != "":
		k.errf(cl.Line, "cases: want a non-empty list, got %s", cl.Got)
		return s
	}
	for _, line := range cl.Nulls {
		k.errf(line, "case: want a mapping, got nothing")
	}
	ids := map[string]int{}
	for i := range cl.Items {
		c := k.caseOf(&cl.Items[i], cl.Line)
		if c == nil {
			continue
		}
		if c.ID != "" {
			if prev, ok := ids[c.ID]; ok {
				k.errf(c.Line, "case %q: duplicate id (first at line %d)", c.ID, prev)
				continue
			}
			ids[c.ID] = c.Line
		}
		s.Cases = append(s.Cases, c)
	}
	return s
}

func (k *checker) caseOf(raw *rawCase, listLine int) *Case {
	at := raw.at
	if at.line == 0 {
		k.errf(listLine, "case: want a mapping, got nothing")
		return nil
	}
	if at.got != "" {
		k.errf(at.line, "case: want a mapping, got %s", at.got)
		return nil
	}
	c := &Case{Line: at.line}
	what := "case"
	if id := cmp.Or(raw.ID.Value, at.id); id != "" {
		what = fmt.Sprintf("case %q", id)
	}
	k.issues(at, what)
	if at.aborted {
		return nil
	}
	if raw.ID.Line == 0 {
		k.errf(at.line, "case: missing id")
	} else {
		c.ID = strings.TrimSpace(k.str(raw.ID, what+": id"))
		if c.ID == "" && raw.ID.Got == "" {
			k.errf(raw.ID.Line, "%s: empty id", what)
		} else if strings.ContainsAny(c.ID, "|\n") {
			k.errf(raw.ID.Line, "%s: id must not contain '|' or a newline", what)
		}
	}
	c.Prompt = k.str(raw.Prompt, what+": prompt")
	if pm := raw.Prompts; pm.Got != "" {
		k.errf(pm.Line, "%s: prompts: want a mapping, got %s", what, pm.Got)
	} else if pm.Line > 0 {
		k.issues(place{issues: pm.Issues}, what+": prompts")
		c.Prompts = map[string]string{}
		langs := make([]string, 0, len(pm.Texts))
		for lang := range pm.Texts {
			langs = append(langs, lang)
		}
		slices.Sort(langs)
		for _, lang := range langs {
			p := pm.Texts[lang]
			line := cmp.Or(p.Line, pm.Line)
			text := k.str(p, fmt.Sprintf("%s: prompts.%s", what, lang))
			switch {
			case strings.TrimSpace(lang) == "" || strings.ContainsAny(lang, "|\n"):
				k.errf(line, "%s: bad language key %q", what, lang)
			case strings.TrimSpace(text) == "" && p.Got == "":
				k.errf(line, "%s: prompts.%s is empty", what, lang)
			}
			c.Prompts[lang] = text
		}
	}
	c.System = k.str(raw.System, what+": system")
	if raw.Tags.Line > 0 {
		c.Tags = k.strList(raw.Tags, what+": tags")
	}
	if raw.Models.Line > 0 {
		c.Models = k.strList(raw.Models, what+": models")
		for _, p := range c.Models {
			if _, err := path.Match(p, ""); err != nil {
				k.errf(raw.Models.Line, "%s: models: bad pattern %q", what, p)
			}
		}
	}
	if raw.Check != nil {
		c.Check = k.check(raw.Check, what+": check")
	}
	if strings.TrimSpace(c.Prompt) == "" {
		k.errf(at.line, "%s: missing prompt", what)
	}
	return c
}

func (k *checker) check(raw *rawCheck, what string) *Check {
	at := raw.at
	if at.got != "" {
		k.errf(at.line, "%s: want a mapping, got %s", what, at.got)
		return nil
	}
	k.issues(at, what)
	if at.aborted {
		return nil
	}
	c := &Check{}
	kinds := 0
	list := func(l scalarList, key string) []string {
		if l.Line == 0 {
			return nil
		}
		kinds++
		out := k.strList(l, what+"."+key)
		if l.Got == "" && len(l.Items)+len(l.Nulls) == 0 {
			k.errf(l.Line, "%s.%s: empty list", what, key)
		}
		return out
	}
	c.ContainsAll = list(raw.ContainsAll, "contains_all")
	c.ContainsAny = list(raw.ContainsAny, "contains_any")
	c.NotContains = list(raw.NotContains, "not_contains")
	c.OneOf = list(raw.OneOf, "one_of")
	if v := raw.Regex; v.Line > 0 {
		kinds++
		c.Regex = k.str(v, what+".regex")
		if c.Regex == "" && v.Got == "" {
			k.errf(v.Line, "%s.regex: empty", what)
		} else if re, err := regexp.Compile(c.Regex); err != nil {
			k.errf(v.Line, "%s.regex: bad regex: %v", what, err)
		} else {
			c.re = re
		}
	}
	if v := raw.Number; v.Line > 0 {
		kinds++
		s := k.str(v, what+".number")
		if x, ok := parseNumberLiteral(s); ok {
			c.Number = &x
		} else if v.Got == "" {
			k.errf(v.Line, "%s.number: %q is not a number", what, s)
		}
	}
	if v := raw.Tolerance; v.Line > 0 {
		s := k.str(v, what+".tolerance")
		x, err := strconv.ParseFloat(s, 64)
		if (err != nil || x < 0) && v.Got == "" {
			k.errf(v.Line, "%s.tolerance: want a number ≥ 0, got %q", what, s)
		}
		c.Tolerance = x
		if c.Number == nil {
			k.errf(v.Line, "%s.tolerance: only applies to number", what)
		}
	}
	if v := raw.On; v.Line > 0 {
		switch s := k.str(v, what+".on"); s {
		case OnAnswer, OnThinking, OnBoth:
			c.On = s
		default:
			if v.Got == "" {
				k.errf(v.Line, "%s.on: want answer, thinking or both, got %q", what, s)
			}
		}
	}
	if kinds == 0 {
		k.errf(at.line, "%s: empty check: give contains_all, contains_any, not_contains, regex, number or one_of (or leave check out)", what)
	}
	return c
}
