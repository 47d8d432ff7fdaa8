package yamlpos

import (
	"errors"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type inner struct {
	A string `yaml:"a"`
}

type outer struct {
	In wrapped `yaml:"in"`
}

type wrapped struct {
	inner
	kind yaml.Kind
	line int
}

func (w *wrapped) UnmarshalYAML(unmarshal func(any) error) error {
	n, err := Node(unmarshal)
	if err != nil || n == nil {
		return err
	}
	w.kind, w.line = n.Kind, n.Line
	return unmarshal(&w.inner)
}

// ParseIssue reads yaml.v3's own messages back, through a yaml.v2-style
// unmarshaler as the decoders use it.
func TestParseIssue(t *testing.T) {
	tests := []struct {
		name, doc string
		want      Issue
	}{
		{"unknown key", "in:\n  a: x\n  b: y\n", Issue{Line: 3, Unknown: "b"}},
		{"key given twice", "in:\n  a: x\n  a: y\n", Issue{Line: 3, Twice: "a", First: 2}},
		{"quoted key given twice", "in:\n  \"a\\\"b\": x\n  \"a\\\"b\": y\n", Issue{Line: 3, Twice: `a"b`, First: 2}},
		{"key with a newline", "in:\n  \"x\\ny\": 1\n", Issue{Line: 2, Unknown: "x\ny"}},
		{"wrong type", "in:\n  a: [1]\n", Issue{Line: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec := yaml.NewDecoder(strings.NewReader(tt.doc))
			dec.KnownFields(true)
			var o outer
			err := dec.Decode(&o)
			var te *yaml.TypeError
			if !errors.As(err, &te) {
				t.Fatalf("error %v, want a *yaml.TypeError", err)
			}
			if o.In.kind != yaml.MappingNode || o.In.line != 2 {
				t.Errorf("Node gave kind %d line %d, want the mapping at line 2", o.In.kind, o.In.line)
			}
			got := ParseIssue(te.Errors[0])
			if got.Msg == "" || strings.HasPrefix(got.Msg, "line ") {
				t.Errorf("Msg %q, want the message without its line", got.Msg)
			}
			got.Msg = ""
			if got != tt.want {
				t.Errorf("ParseIssue(%q) = %+v, want %+v", te.Errors[0], got, tt.want)
			}
		})
	}
}

func TestNodeNull(t *testing.T) {
	var o outer
	if err := yaml.Unmarshal([]byte("in: ~\n"), &o); err != nil || o.In.kind != 0 {
		t.Errorf("null: kind %d, err %v; want no call", o.In.kind, err)
	}
}
