package scripted

import (
	"strings"
	"testing"
)

func TestMakeSpec(t *testing.T) {
	base := MakeOptions{Name: "m", Family: "qwen3", Script: "<think>\nOne.\n\n</think>\n\nTwo.", Size: "tiny", ContextLength: 4096}
	for _, tt := range []struct {
		name string
		edit func(*MakeOptions)
		err  string
		test func(Spec) bool
	}{
		{"preset", func(*MakeOptions) {}, "", func(s Spec) bool { return s.Size == Presets["tiny"] && s.ContextLength == 4096 }},
		{"overrides", func(o *MakeOptions) { o.Layers, o.Quant = 3, "q8_0" }, "", func(s Spec) bool { return s.Size.Layers == 3 && s.Size.Quant == TypeQ8_0 }},
		{"continuation", func(o *MakeOptions) { o.Continue = []string{`Wait=>, again.\n\n`} }, "",
			func(s Spec) bool { return len(s.Continuations) == 1 && s.Continuations[0].Thinking == ", again.\n\n" }},
		{"bad size", func(o *MakeOptions) { o.Size = "huge" }, `unknown --size "huge"`, nil},
		{"bad quant", func(o *MakeOptions) { o.Quant = "q2" }, `unknown --quant "q2"`, nil},
		{"bad continuation", func(o *MakeOptions) { o.Continue = []string{"no arrow"} }, `--continue "no arrow": want TEXT=>THINKING`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			tt.edit(&o)
			s, err := MakeSpec(o)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !tt.test(s) {
				t.Errorf("spec %+v, %v", s, err)
			}
		})
	}
}
