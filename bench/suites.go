package bench

import (
	"embed"
	"fmt"
	"path"
	"strings"
)

//go:embed suites/*.yaml
var builtinFS embed.FS

// BuiltinSuites returns the names of the built-in suites.
func BuiltinSuites() []string {
	ents, _ := builtinFS.ReadDir("suites")
	var names []string
	for _, e := range ents {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	return names
}

// BuiltinSuite returns a built-in suite: "seed" (questions that expose weak
// reasoning models) or "demo" (cases for the scripted demo models).
func BuiltinSuite(name string) (*Suite, bool) {
	data, err := builtinFS.ReadFile("suites/" + name + ".yaml")
	if err != nil || strings.ContainsAny(name, "/.") {
		return nil, false
	}
	s, err := ParseSuite("builtin:"+name, data)
	if err != nil {
		panic(fmt.Sprintf("bench: built-in suite %s: %v", name, err)) // tested
	}
	return s, true
}

// OpenSuite returns the built-in suite of that name, or else reads the
// file at that path.
func OpenSuite(nameOrPath string) (*Suite, error) {
	if s, ok := BuiltinSuite(nameOrPath); ok {
		return s, nil
	}
	return LoadSuite(nameOrPath)
}

// RunsOn reports whether the case runs on a model (see Case.Models).
func (c *Case) RunsOn(model string) bool {
	if len(c.Models) == 0 {
		return true
	}
	for _, p := range c.Models {
		if ok, _ := path.Match(p, model); ok {
			return true
		}
	}
	return false
}
