package budget

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/rein-dev/rein/hooks"
)

// TestOr: a layer wins where it is set, zero included; nil fields take the
// lower layer's; the result shares no pointer with either.
func TestOr(t *testing.T) {
	flag := Budgets{MaxSteps: Ptr(0), OnLimit: Ptr(OnLimitStop)}
	profile := Budgets{MaxSteps: Ptr(8), MaxThinkTokens: Ptr(2000), Loop: Ptr(0)}
	got := flag.Or(profile)
	want := Budgets{MaxSteps: Ptr(0), OnLimit: Ptr(OnLimitStop), MaxThinkTokens: Ptr(2000), Loop: Ptr(0)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Or = %+v, want %+v", got, want)
	}
	*got.MaxThinkTokens = 1
	if *profile.MaxThinkTokens != 2000 {
		t.Error("Or shares the lower layer's pointer")
	}
	if !(Budgets{}).IsZero() || got.IsZero() {
		t.Error("IsZero")
	}
}

// TestResolve: each default once, and None gives a run no budget but the
// default loop cut, whatever lies under it.
func TestResolve(t *testing.T) {
	l := Budgets{}.Resolve()
	if l.MaxTokens != DefaultMaxTokens || l.Loop != DefaultLoop || l.OnLimit != OnLimitAnswer ||
		l.ProbeEvery != DefaultProbeEvery || l.ProbeTokens != DefaultProbeTokens || l.MaxSteps != 0 {
		t.Errorf("defaults %+v", l)
	}
	if l := (Budgets{ProbeEvery: Ptr(0)}).Resolve(); l.ProbeEvery != DefaultProbeEvery {
		t.Errorf("probe every 0 = %d, want the default", l.ProbeEvery)
	}
	profile := Budgets{MaxSteps: Ptr(4), MaxThinkTime: Ptr(time.Minute), Loop: Ptr(7), OnLimit: Ptr(OnLimitStop)}
	n := None().Or(profile).Resolve()
	if n.MaxSteps != 0 || n.MaxThinkTime != 0 || n.Loop != DefaultLoop || n.OnLimit != OnLimitAnswer {
		t.Errorf("None over a profile = %+v", n)
	}
	if !reflect.DeepEqual(l.Budgets().Resolve(), l) {
		t.Error("Limits.Budgets does not round-trip")
	}
}

func TestValidate(t *testing.T) {
	p := Ptr[int]
	for _, tt := range []struct {
		b    Budgets
		want string // "" for no error
	}{
		{Budgets{}, ""},
		{Budgets{MaxSteps: p(-1)}, "--max-steps must be 0 or more"},
		{Budgets{MaxThinkTokens: p(hooks.LimitTokens + 1)}, "--max-think-tokens must be at most"},
		{Budgets{MaxSteps: p(hooks.LimitSteps + 1)}, "--max-steps must be at most"},
		{Budgets{MaxThinkTime: Ptr(-time.Second)}, "--max-think-time must be 0 or more"},
		{Budgets{MaxThinkTime: Ptr(8 * 24 * time.Hour)}, "--max-think-time must be at most"},
		{Budgets{ExitOnConfidence: Ptr(1.5)}, "--exit-on-confidence must be a probability"},
		{Budgets{OnLimit: Ptr("later")}, `--on-limit must be "answer" or "stop"`},
		{Budgets{StepMode: Ptr(hooks.StepMode("word"))}, "unknown step mode"},
		{Budgets{MaxTokens: p(10), MaxAnswerTokens: p(10)}, "must be below max tokens"},
		{Budgets{MaxAnswerTokens: p(DefaultMaxTokens)}, "must be below max tokens"},
		{Budgets{MaxTokens: p(100), MaxAnswerTokens: p(50), OnLimit: Ptr(OnLimitStop), StepMode: Ptr(hooks.StepMarker)}, ""},
	} {
		err := tt.b.Validate(nil)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%+v: %v", tt.b, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%+v: error %v, want %q", tt.b, err, tt.want)
		}
	}
	named := func(n Name) string { return "option " + n.Option }
	if err := (Budgets{MaxSteps: p(-1)}).Validate(named); err == nil || !strings.HasPrefix(err.Error(), "option rein_max_steps ") {
		t.Errorf("named error %v", err)
	}
}

// TestNames: every budget field has exactly one row, each name is unique in
// its place, and every row parses, formats and clears its own field.
func TestNames(t *testing.T) {
	fields := reflect.TypeOf(Budgets{}).NumField()
	if len(Names) != fields {
		t.Fatalf("%d names for %d fields", len(Names), fields)
	}
	for _, by := range []func(Name) string{ByFlag, ByOption, ByProfile, ByAxis} {
		seen := map[string]bool{}
		for _, k := range Keys(by) {
			if seen[k] {
				t.Errorf("%q given twice", k)
			}
			seen[k] = true
			if _, ok := Lookup(k, by); !ok {
				t.Errorf("Lookup(%q) fails", k)
			}
		}
	}
	sample := map[Kind]string{KindTokens: "7", KindSteps: "7", KindDuration: "7s", KindProbability: "0.5",
		KindStepMode: "line", KindText: "Stop now."}
	for _, n := range Names {
		var b Budgets
		text := sample[n.Kind]
		if n.Kind == KindChoice {
			text = n.Choices[len(n.Choices)-1]
		}
		if err := n.Parse(&b, text); err != nil {
			t.Errorf("%s: Parse(%q): %v", n.Flag, text, err)
			continue
		}
		set := 0
		for _, m := range Names {
			if m.IsSet(b) {
				set++
			}
		}
		if !n.IsSet(b) || set != 1 {
			t.Errorf("%s: Parse set %d fields (own %v)", n.Flag, set, n.IsSet(b))
		}
		if got := n.Format(b); got != text {
			t.Errorf("%s: Format = %q, want %q", n.Flag, got, text)
		}
		n.Unset(&b)
		if !b.IsZero() {
			t.Errorf("%s: Unset left %+v", n.Flag, b)
		}
	}
}

func TestParseErrors(t *testing.T) {
	steps, _ := Lookup("max-steps", ByFlag)
	tm, _ := Lookup("max-think-time", ByFlag)
	conf, _ := Lookup("exit-on-confidence", ByFlag)
	lim, _ := Lookup("on-limit", ByFlag)
	for _, tt := range []struct {
		n    Name
		text string
		want string
	}{
		{steps, "-1", "whole number of 0 or more"},
		{steps, "many", "whole number"},
		{steps, "9223372036854775807", "at most"},
		{steps, "2000000", "at most"},
		{tm, "soon", "duration"},
		{tm, "-1s", "duration of 0 or more"},
		{conf, "1.5", "probability"},
		{conf, "NaN", "probability"},
		{lim, "later", `"answer" or "stop"`},
	} {
		var b Budgets
		if err := tt.n.Parse(&b, tt.text); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %q: %v, want %q", tt.n.Flag, tt.text, err, tt.want)
		}
		if !b.IsZero() {
			t.Errorf("%s %q: a failed parse set %+v", tt.n.Flag, tt.text, b)
		}
	}
	if var0 := (Budgets{}); tm.Parse(&var0, "0") != nil || *var0.MaxThinkTime != 0 {
		t.Error(`max-think-time "0" is no time budget`)
	}
}

// TestParseValue: a request's options as JSON decodes them.
func TestParseValue(t *testing.T) {
	steps, _ := Lookup("rein_max_steps", ByOption)
	tm, _ := Lookup("rein_max_think_time", ByOption)
	conf, _ := Lookup("rein_exit_on_confidence", ByOption)
	var b Budgets
	for _, tt := range []struct {
		n  Name
		v  any
		ok bool
	}{
		{steps, 3.0, true}, {steps, "4", true}, {steps, 1.5, false}, {steps, -1.0, false}, {steps, true, false}, {steps, 1e300, false},
		{tm, 250.0, true}, {tm, "1.5s", true}, {tm, "250", true}, {tm, -1.0, false}, {tm, "soon", false},
		{conf, 0.9, true}, {conf, "0.9", true}, {conf, 1.5, false},
	} {
		if err := tt.n.ParseValue(&b, tt.v); (err == nil) != tt.ok {
			t.Errorf("%s %v: %v", tt.n.Option, tt.v, err)
		}
	}
	if *b.MaxThinkTime != 250*time.Millisecond {
		t.Errorf("the last good think time %v, want 250ms", *b.MaxThinkTime)
	}
}

// TestAddFlags: one flag per budget, unset until given, 0 kept as chosen,
// the defaults shown in help.
func TestAddFlags(t *testing.T) {
	var b Budgets
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	AddFlags(fs, &b, "probe-tokens")
	if fs.Lookup("probe-tokens") != nil || fs.Lookup("max-steps") == nil {
		t.Fatal("skip")
	}
	if f := fs.Lookup("max-tokens"); f.DefValue != "32768" {
		t.Errorf("max-tokens default %q", f.DefValue)
	}
	if f := fs.Lookup("max-think-time"); f.DefValue != "" || f.Value.Type() != "duration" {
		t.Errorf("max-think-time default %q type %s", f.DefValue, f.Value.Type())
	}
	if err := fs.Parse([]string{"--max-steps", "0", "--max-think-time", "30s", "--on-limit", "stop"}); err != nil {
		t.Fatal(err)
	}
	want := Budgets{MaxSteps: Ptr(0), MaxThinkTime: Ptr(30 * time.Second), OnLimit: Ptr(OnLimitStop)}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("flags %+v, want %+v", b, want)
	}
	if err := fs.Parse([]string{"--loop", "-1"}); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Errorf("--loop -1: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"3", "0", "-1", "30s", "1e9", "0.5", "answer", "line", "", " 7 ", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, n := range Names {
			var b Budgets
			if err := n.Parse(&b, text); err != nil {
				if !b.IsZero() {
					t.Fatalf("%s %q: failed parse set %+v", n.Flag, text, b)
				}
				continue
			}
			if err := b.Validate(nil); err != nil && n.Flag != "max-answer-tokens" {
				t.Fatalf("%s %q parsed but does not validate: %v", n.Flag, text, err)
			}
			var c Budgets
			if err := n.Parse(&c, n.Format(b)); err != nil || !reflect.DeepEqual(b, c) {
				t.Fatalf("%s %q: Format %q does not parse back (%v)", n.Flag, text, n.Format(b), err)
			}
		}
	})
}
