package models

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rein-dev/rein/internal/yamlpos"
)

// A profile file is decoded by yaml.v3 into the raw types below, with
// KnownFields(true), as bench decodes a suite file (bench/suite_decode.go):
// yaml.v3 itself reports unknown keys and keys given twice. Each field
// keeps the line of its value and what was there, so that the checks after
// the decoding (profiles_file.go) name the file, the line, the field and
// the problem. A mapping of fixed keys (the file, a profile, its match and
// its think_off) takes its own node's line with the decoder's unmarshal
// function (the yaml.v2-style Unmarshaler), which keeps KnownFields for
// what it holds; a mapping whose keys are data (options, budget_messages,
// budgets) is a valueMap.

// value is one value as written: a scalar, a list or a mapping. Line is
// its line: 0 when its key is absent, or when its value is null, for
// yaml.v3 calls no unmarshaler for null (place.value gives those back).
type value struct {
	Line int
	Kind yaml.Kind
	Tag  string // the short tag: !!str, !!int, !!null…
	Text string // a scalar's text
	Got  string // what it is, for errors: `the string "x"`, `int 5`, `a list`
	node *yaml.Node
}

func valueOf(n *yaml.Node) value {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return value{Line: n.Line, Kind: n.Kind, Tag: n.ShortTag(), Text: n.Value, Got: kindName(n), node: n}
}

func (v *value) UnmarshalYAML(n *yaml.Node) error {
	*v = valueOf(n)
	return nil
}

// null reports a null value, or none.
func (v value) null() bool { return v.Line == 0 || v.Tag == "!!null" }

// values is a list; Got names a value that is not a list. A null entry
// is nil.
type values struct {
	Items []*value
	Line  int
	Got   string
}

func (l *values) UnmarshalYAML(n *yaml.Node) error {
	l.Line = n.Line
	if n.Kind != yaml.SequenceNode {
		l.Got = kindName(n)
		return nil
	}
	return n.Decode(&l.Items)
}

// valueMap is a mapping whose keys are data; Entries are in the file's
// order, null values included, and Issues are the decoder's problems
// inside it (a key given twice).
type valueMap struct {
	Entries []entry
	Issues  []string
	Line    int
	Got     string
}

type entry struct {
	Key   string
	Value value
}

func (m *valueMap) UnmarshalYAML(n *yaml.Node) error {
	m.Line = n.Line
	if n.Kind != yaml.MappingNode {
		m.Got = kindName(n)
		return nil
	}
	// A yaml.Node value keeps a null's line, which an unmarshaler would not.
	var byKey map[string]yaml.Node
	var te *yaml.TypeError
	if err := n.Decode(&byKey); errors.As(err, &te) {
		m.Issues = te.Errors
		return nil
	} else if err != nil {
		return err
	}
	for k, v := range byKey {
		m.Entries = append(m.Entries, entry{k, valueOf(&v)})
	}
	slices.SortFunc(m.Entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.Value.Line, b.Value.Line), strings.Compare(a.Key, b.Key))
	})
	return nil
}

// place is where a mapping of fixed keys was, and what the decoder found
// in it.
type place struct {
	line   int
	got    string // not a mapping: what was there
	issues []string
	nulls  map[string]int // the keys given null, and their lines
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
	var te *yaml.TypeError
	if err := unmarshal(v); errors.As(err, &te) {
		p.issues = te.Errors
	} else if err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if v := valueOf(n.Content[i+1]); v.Tag == "!!null" {
			if p.nulls == nil {
				p.nulls = map[string]int{}
			}
			p.nulls[n.Content[i].Value] = v.Line
		}
	}
	return nil
}

// value returns v, the field of the mapping that key names, or a null
// value at its line when the file gives key null.
func (p place) value(key string, v value) value {
	if line, ok := p.nulls[key]; ok {
		return value{Line: line, Kind: yaml.ScalarNode, Tag: "!!null", Got: "nothing"}
	}
	return v
}

type rawFile struct {
	Profiles profileList `yaml:"profiles"`
	at       place
}

func (f *rawFile) UnmarshalYAML(unmarshal func(any) error) error {
	type plain rawFile
	return f.at.decodeMapping(unmarshal, (*plain)(f))
}

// profileList is the profiles list; a null entry is nil, and Lines are
// the entries' lines, for those.
type profileList struct {
	Items []*rawProfile
	Lines []int
	Line  int
	Got   string
}

func (l *profileList) UnmarshalYAML(unmarshal func(any) error) error {
	n, err := yamlpos.Node(unmarshal)
	if err != nil || n == nil {
		return err
	}
	l.Line = n.Line
	if n.Kind != yaml.SequenceNode {
		l.Got = kindName(n)
		return nil
	}
	for _, c := range n.Content {
		l.Lines = append(l.Lines, c.Line)
	}
	return unmarshal(&l.Items)
}

type rawProfile struct {
	Name           value       `yaml:"name"`
	Match          rawMatch    `yaml:"match"`
	ThinkOpen      value       `yaml:"think_open"`
	ThinkClose     value       `yaml:"think_close"`
	System         value       `yaml:"system"`
	ProbeLead      value       `yaml:"probe_lead"`
	Options        valueMap    `yaml:"options"`
	BudgetMessages valueMap    `yaml:"budget_messages"`
	StepSplit      value       `yaml:"step_split"`
	ThinkOff       rawThinkOff `yaml:"think_off"`
	ThinkLevels    values      `yaml:"think_levels"`
	Chat           value       `yaml:"chat"`
	Budgets        valueMap    `yaml:"budgets"`
	at             place
}

func (p *rawProfile) UnmarshalYAML(unmarshal func(any) error) error {
	type plain rawProfile
	return p.at.decodeMapping(unmarshal, (*plain)(p))
}

type rawMatch struct {
	Families         values `yaml:"families"`
	Names            values `yaml:"names"`
	TemplateContains values `yaml:"template_contains"`
	at               place
}

func (m *rawMatch) UnmarshalYAML(unmarshal func(any) error) error {
	type plain rawMatch
	return m.at.decodeMapping(unmarshal, (*plain)(m))
}

type rawThinkOff struct {
	How      value `yaml:"how"`
	Suffix   value `yaml:"suffix"`
	OnSuffix value `yaml:"on_suffix"`
	at       place
}

func (t *rawThinkOff) UnmarshalYAML(unmarshal func(any) error) error {
	type plain rawThinkOff
	return t.at.decodeMapping(unmarshal, (*plain)(t))
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch tag := n.ShortTag(); tag {
	case "!!null":
		return "nothing"
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	case "!!int", "!!float", "!!bool":
		return fmt.Sprintf("%s %s", strings.TrimPrefix(tag, "!!"), n.Value)
	default:
		return fmt.Sprintf("%q tagged %q", n.Value, tag)
	}
}

// fieldOf is a field's name under parent, with a key that is not a plain
// word quoted so that an error stays on one line.
func fieldOf(parent, key string) string {
	if key == "" || strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r == '.' || r == '"' || r > '~' }) {
		key = fmt.Sprintf("%q", key)
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// issue turns the decoder's problems inside a mapping into an error
// naming the key: the first, for one error is reported; want lists the
// mapping's keys for an unknown one ("" for a mapping of data).
func (k *checker) issue(issues []string, field, want string) error {
	if len(issues) == 0 {
		return nil
	}
	is := yamlpos.ParseIssue(issues[0])
	switch {
	case is.Unknown != "" && want != "":
		return k.errorf(is.Line, fieldOf(field, is.Unknown), "unknown field (want %s)", want)
	case is.Unknown != "":
		return k.errorf(is.Line, fieldOf(field, is.Unknown), "unknown field")
	case is.Twice != "" && is.First > 0:
		return k.errorf(is.Line, fieldOf(field, is.Twice), "given twice (first at line %d)", is.First)
	case is.Twice != "":
		return k.errorf(is.Line, fieldOf(field, is.Twice), "given twice")
	}
	return k.errorf(is.Line, field, "%s", oneLine(is.Msg))
}

// oneLine keeps the first line of a message.
func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// line is a list entry's line, 0 for a null one.
func (v *value) line() int {
	if v == nil {
		return 0
	}
	return v.Line
}
