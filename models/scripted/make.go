package scripted

import (
	"fmt"
	"strings"
)

// MakeOptions are what `rein dev make-model` takes: the script as text
// with tags, a size preset (Presets) and what overrides it (0 or "": the
// preset's), and continuations written TEXT=>THINKING, where \n spells a
// newline.
type MakeOptions struct {
	Name, Family, Script, Size string
	Layers, Dim, FF            int
	Quant                      string
	ContextLength              int
	Continue                   []string
}

// MakeSpec turns o into a model's Spec; an error names the flag at fault.
func MakeSpec(o MakeOptions) (Spec, error) {
	sc, err := ParseScript(o.Script)
	if err != nil {
		return Spec{}, err
	}
	size, ok := Presets[o.Size]
	if !ok {
		return Spec{}, fmt.Errorf("unknown --size %q: want tiny, 0.6b or 4b", o.Size)
	}
	if o.Layers > 0 {
		size.Layers = o.Layers
	}
	if o.Dim > 0 {
		size.Dim = o.Dim
	}
	if o.FF > 0 {
		size.FF = o.FF
	}
	switch strings.ToUpper(o.Quant) {
	case "":
	case "F32":
		size.Quant = TypeF32
	case "Q8_0":
		size.Quant = TypeQ8_0
	case "Q4_0":
		size.Quant = TypeQ4_0
	default:
		return Spec{}, fmt.Errorf("unknown --quant %q: want F32, Q8_0 or Q4_0", o.Quant)
	}
	spec := Spec{Name: o.Name, Family: o.Family, Script: sc, Size: size, ContextLength: o.ContextLength}
	for _, c := range o.Continue {
		after, thinking, ok := strings.Cut(c, "=>")
		if !ok {
			return Spec{}, fmt.Errorf("--continue %q: want TEXT=>THINKING", c)
		}
		spec.Continuations = append(spec.Continuations, Continuation{
			After: unescapeNL(after), Thinking: unescapeNL(thinking),
		})
	}
	return spec, nil
}

func unescapeNL(s string) string { return strings.ReplaceAll(s, `\n`, "\n") }
