// Package yamlpos holds what rein's yaml.v3 decoders (bench's suite files,
// the profile file) share: a mapping's own node for a yaml.v2-style
// unmarshaler, and the problems yaml.v3 reports inside a mapping, read
// back into their line and key.
package yamlpos

import (
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Node returns the node that unmarshal, the function a yaml.v2-style
// unmarshaler gets, would decode: nil for null. Decoding into a yaml.Node
// directly would decode the mapping into the Node's own fields.
func Node(unmarshal func(any) error) (*yaml.Node, error) {
	var h holder
	err := unmarshal(&h)
	return h.n, err
}

type holder struct{ n *yaml.Node }

func (h *holder) UnmarshalYAML(n *yaml.Node) error {
	h.n = n
	return nil
}

// Issue is one of the problems of a *yaml.TypeError.
type Issue struct {
	Line    int    // 0 when the problem names none
	Unknown string // a key that KnownFields refuses
	Twice   string // a key given twice
	First   int    // the line of that key's first use, when yaml.v3 says it
	Msg     string // the problem without its line
}

var (
	lineRE    = regexp.MustCompile(`(?s)^line (\d+): (.*)$`)
	unknownRE = regexp.MustCompile(`(?s)^field (.*) not found in type `)
	definedRE = regexp.MustCompile(`(?s)^mapping key (".*") already defined at line (\d+)$`)
	setRE     = regexp.MustCompile(`(?s)^field (.*) already set in type `)
)

// ParseIssue reads one problem of a *yaml.TypeError.
func ParseIssue(s string) Issue {
	var is Issue
	if m := lineRE.FindStringSubmatch(s); m != nil {
		is.Line, _ = strconv.Atoi(m[1])
		s = m[2]
	}
	is.Msg = s
	if m := unknownRE.FindStringSubmatch(s); m != nil {
		is.Unknown = m[1]
	} else if m := definedRE.FindStringSubmatch(s); m != nil {
		is.Twice = m[1]
		if k, err := strconv.Unquote(m[1]); err == nil {
			is.Twice = k
		}
		is.First, _ = strconv.Atoi(m[2])
	} else if m := setRE.FindStringSubmatch(s); m != nil {
		is.Twice = m[1]
	}
	return is
}
