package models

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func writeProfiles(t *testing.T, dir, text string) string {
	t.Helper()
	p := filepath.Join(dir, ProfilesFile)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func find(t *testing.T, ps []Profile, name string) Profile {
	t.Helper()
	for _, p := range ps {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no profile %q", name)
	return Profile{}
}

func TestProfileConfigDir(t *testing.T) {
	tests := []struct {
		rein, xdg, want string
	}{
		{"/etc/rein-test", "/xdg", "/etc/rein-test"},
		{"", "/xdg", "/xdg/rein"},
	}
	for _, tt := range tests {
		t.Setenv("REIN_CONFIG_DIR", tt.rein)
		t.Setenv("XDG_CONFIG_HOME", tt.xdg)
		if got := ConfigDir(); got != tt.want {
			t.Errorf("ConfigDir with REIN_CONFIG_DIR=%q XDG_CONFIG_HOME=%q = %q, want %q", tt.rein, tt.xdg, got, tt.want)
		}
	}
	t.Setenv("REIN_CONFIG_DIR", "")
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "/home/someone")
	if got := ConfigDir(); got != "/home/someone/.config/rein" {
		t.Errorf("ConfigDir with neither = %q", got)
	}
}

func TestLoadProfilesNoFile(t *testing.T) {
	t.Setenv("REIN_CONFIG_DIR", t.TempDir())
	ps, path, err := LoadProfiles()
	if err != nil {
		t.Fatal(err)
	}
	if path != "" {
		t.Errorf("path %q, want none", path)
	}
	if len(ps) != len(Builtins()) {
		t.Errorf("%d profiles, want the %d built-ins", len(ps), len(Builtins()))
	}
}

func TestLoadProfilesOverridesAndAdds(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("REIN_CONFIG_DIR", "")
	t.Setenv("XDG_CONFIG_HOME", dir)
	if err := os.MkdirAll(filepath.Join(dir, "rein"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := writeProfiles(t, filepath.Join(dir, "rein"), `
# my profiles
profiles:
  - name: qwen3
    options:
      temperature: 0.8
      num_ctx: null
      seed: 42
    budget_messages:
      fr: "Je dois répondre maintenant.\n"
    step_split: marker
  - name: house-reasoner
    match:
      names: ["house-*"]
      families: [llama]
    think_open: "<reasoning>"
    think_close: "</reasoning>"
    system: Think first.
    think_off:
      how: prompt-suffix
      suffix: " /quiet"
    think_levels: [low, high]
    chat: false
  - name: generic
    system: Be brief.
`)
	ps, path, err := LoadProfiles()
	if err != nil {
		t.Fatal(err)
	}
	if path != file {
		t.Errorf("read %q, want %q", path, file)
	}

	q := find(t, ps, "qwen3")
	tests := []struct {
		what string
		ok   bool
	}{
		{"qwen3 temperature overridden", q.Options["temperature"] == 0.8},
		{"qwen3 top_k kept", q.Options["top_k"] == 20},
		{"qwen3 num_ctx removed by null", q.Options["num_ctx"] == nil && len(q.Options) == 5},
		{"qwen3 seed added", q.Options["seed"] == 42},
		{"qwen3 fr message replaced", q.BudgetMessages["fr"] == "Je dois répondre maintenant.\n"},
		{"qwen3 en message kept", q.BudgetMessages["en"] == Builtins()[2].BudgetMessages["en"]},
		{"qwen3 step split", q.StepSplit == "marker"},
		{"qwen3 tags kept", q.ThinkOpen == "<think>" && q.ThinkClose == "</think>"},
		{"qwen3 match kept", len(q.Match.Names) == 1 && q.Match.Names[0] == "qwen3*"},
		{"qwen3 source is the file", q.Source == file},
		{"magistral untouched", find(t, ps, "magistral").Source == SourceBuiltin},
		{"new profile first", ps[0].Name == "house-reasoner"},
		{"generic system", find(t, ps, GenericName).System == "Be brief."},
		{"generic still last", ps[len(ps)-1].Name == GenericName},
	}
	for _, tt := range tests {
		if !tt.ok {
			t.Errorf("want %s", tt.what)
		}
	}

	h := find(t, ps, "house-reasoner")
	if h.ThinkOpen != "<reasoning>" || h.ThinkClose != "</reasoning>" || h.System != "Think first." ||
		h.ThinkOff != (ThinkOff{How: ThinkOffPromptSuffix, Suffix: " /quiet"}) ||
		strings.Join(h.ThinkLevels, ",") != "low,high" || h.Source != file {
		t.Errorf("house-reasoner = %+v", h)
	}
	if h.BudgetMessages["en"] == "" || h.StepSplit != "paragraph" {
		t.Errorf("a new profile must start from the defaults: %+v", h)
	}

	// The user's profile matches its models; the user's generic is the fallback.
	if p, by := MatchReason("house-9b", showOf("llama", ""), ps); p.Name != "house-reasoner" || by != ByName {
		t.Errorf("house-9b matched %s by %s", p.Name, by)
	}
	if p, by := MatchReason("some-llama", showOf("llama", ""), ps); p.Name != "house-reasoner" || by != ByFamily {
		t.Errorf("some-llama matched %s by %s", p.Name, by)
	}
	if p := Match("x", showOf("mamba", ""), ps); p.Name != GenericName || p.System != "Be brief." {
		t.Errorf("fallback %s %q", p.Name, p.System)
	}
}

func TestParseProfilesEmpty(t *testing.T) {
	for _, text := range []string{"", "# nothing\n", "profiles:\n", "~\n"} {
		ps, err := ParseProfiles("p.yaml", []byte(text), Builtins())
		if err != nil {
			t.Errorf("%q: %v", text, err)
			continue
		}
		if len(ps) != len(Builtins()) {
			t.Errorf("%q: %d profiles", text, len(ps))
		}
	}
}

// A malformed file gives an error that names the file, the line and the field.
func TestParseProfilesErrors(t *testing.T) {
	tests := []struct {
		name, text string
		line       int
		field, msg string
	}{
		{"unknown field", "profiles:\n  - name: qwen3\n    temprature: 0.5\n", 3, "profiles[0].temprature", "unknown field"},
		{"unknown match field", "profiles:\n  - name: x\n    match:\n      name: [a]\n", 4, "profiles[0].match.name", "unknown field"},
		{"unknown think_off field", "profiles:\n  - name: x\n    think_off:\n      when: never\n", 4, "profiles[0].think_off.when", "unknown field"},
		{"unknown top-level field", "profile:\n  - name: x\n", 1, "profile", "unknown field"},
		{"options not a mapping", "profiles:\n  - name: qwen3\n    options: 5\n", 3, "profiles[0].options", "want a mapping"},
		{"option is a mapping", "profiles:\n  - name: qwen3\n    options:\n      temperature:\n        x: 1\n", 5, "profiles[0].options.temperature", "not a mapping"},
		{"tag not a string", "profiles:\n  - name: x\n    think_open: 5\n    think_close: b\n", 3, "profiles[0].think_open", "want a string"},
		{"bad step split", "profiles:\n  - name: qwen3\n    step_split: word\n", 3, "profiles[0].step_split", `"word" is not a step split`},
		{"bad think_off", "profiles:\n  - name: qwen3\n    think_off:\n      how: magic\n", 4, "profiles[0].think_off.how", "not a way to turn thinking off"},
		{"prompt-suffix without suffix", "profiles:\n  - name: x\n    think_off: {how: prompt-suffix}\n", 3, "profiles[0].think_off.suffix", "needs a suffix"},
		{"chat not a bool", "profiles:\n  - name: x\n    chat: 1\n", 3, "profiles[0].chat", "want true or false"},
		{"levels not a list", "profiles:\n  - name: x\n    think_levels: high\n", 3, "profiles[0].think_levels", "want a list"},
		{"missing name", "profiles:\n  - system: hi\n", 2, "profiles[0].name", "missing"},
		{"second profile, missing name", "profiles:\n  - name: a\n  - system: hi\n", 3, "profiles[1].name", "missing"},
		{"name twice", "profiles:\n  - name: a\n  - name: a\n", 3, "profiles[1].name", "given twice"},
		{"profile not a mapping", "profiles:\n  - qwen3\n", 2, "profiles[0]", "want a profile"},
		{"profiles not a list", "profiles:\n  name: qwen3\n", 2, "profiles", "want a list"},
		{"english message removed", "profiles:\n  - name: qwen3\n    budget_messages:\n      en: null\n", 4, "profiles[0].budget_messages", `"en" message is required`},
		{"bad language", "profiles:\n  - name: qwen3\n    budget_messages:\n      english: hi\n", 4, "profiles[0].budget_messages.english", "not a language code"},
		{"open tag alone", "profiles:\n  - name: x\n    think_open: <t>\n", 3, "profiles[0].think_close", "go together"},
		{"budgets not a mapping", "profiles:\n  - name: qwen3\n    budgets: 8\n", 3, "profiles[0].budgets", "want a mapping"},
		{"option of the wrong type", "profiles:\n  - name: qwen3\n    options:\n      temperature: hot\n", 4, "profiles[0].options.temperature", "must be a number"},
		{"unknown option", "profiles:\n  - name: qwen3\n    options:\n      temprature: 0.5\n", 4, "profiles[0].options.temprature", "unknown Ollama option"},
		{"unknown budget", "profiles:\n  - name: qwen3\n    budgets:\n      steps: 8\n", 4, "profiles[0].budgets.steps", "unknown field"},
		{"negative budget", "profiles:\n  - name: qwen3\n    budgets:\n      max_steps: -1\n", 4, "profiles[0].budgets.max_steps", "0 or more"},
		{"budget not a number", "profiles:\n  - name: qwen3\n    budgets:\n      max_think_tokens: lots\n", 4, "profiles[0].budgets.max_think_tokens", "whole number"},
		{"budget beyond its limit", "profiles:\n  - name: qwen3\n    budgets:\n      max_think_tokens: 9223372036854775807\n", 4, "profiles[0].budgets.max_think_tokens", "must be at most 1000000000"},
		{"steps beyond their limit", "profiles:\n  - name: qwen3\n    budgets:\n      loop: 10000000\n", 4, "profiles[0].budgets.loop", "must be at most 1000000"},
		{"think time beyond its limit", "profiles:\n  - name: qwen3\n    budgets:\n      max_think_time: 2000h\n", 4, "profiles[0].budgets.max_think_time", "must be at most 168h0m0s"},
		{"bad think time", "profiles:\n  - name: qwen3\n    budgets:\n      max_think_time: soon\n", 4, "profiles[0].budgets.max_think_time", "must be a duration"},
		{"bad on_limit", "profiles:\n  - name: qwen3\n    budgets:\n      on_limit: maybe\n", 4, "profiles[0].budgets.on_limit", `must be "answer" or "stop"`},
		{"bad name glob", "profiles:\n  - name: x\n    match:\n      names: [\"qwen[\"]\n", 4, "profiles[0].match.names", "bad pattern"},
		{"unknown budget after a known one", "profiles:\n  - name: qwen3\n    budgets:\n      max_steps: 8\n      max_stepz: 9\n", 5, "profiles[0].budgets.max_stepz", "unknown field (want one of max_steps"},
		{"unknown match field in flow style", "profiles:\n  - name: x\n    match: {names: [a], nmes: [b]}\n", 3, "profiles[0].match.nmes", "unknown field (want families"},
		{"unknown think_off field after a known one", "profiles:\n  - name: x\n    think_off:\n      how: flag\n      hw: x\n", 5, "profiles[0].think_off.hw", "unknown field (want how"},
		{"key with a newline", "profiles:\n  - name: x\n    \"a\\nb\": 1\n", 3, `profiles[0]."a\nb"`, "unknown field"},
		{"field given twice", "profiles:\n  - name: x\n    system: a\n    system: b\n", 4, "profiles[0].system", "given twice (first at line 3)"},
		{"option given twice", "profiles:\n  - name: qwen3\n    options:\n      temperature: 1\n      temperature: 2\n", 5, "profiles[0].options.temperature", "given twice (first at line 4)"},
		{"budget given twice", "profiles:\n  - name: qwen3\n    budgets: {loop: 1, loop: 2}\n", 3, "profiles[0].budgets.loop", "given twice"},
		{"profiles given twice", "profiles: []\nprofiles: []\n", 2, "profiles", "given twice (first at line 1)"},
		{"name not a string", "profiles:\n  - name: [a]\n", 2, "profiles[0].name", "want a string, not a list"},
		{"count budget quoted", "profiles:\n  - name: qwen3\n    budgets: {max_steps: \"8\"}\n", 3, "profiles[0].budgets.max_steps", `want a whole number of 0 or more, not the string "8"`},
		{"on_limit a number", "profiles:\n  - name: qwen3\n    budgets:\n      on_limit: 5\n", 4, "profiles[0].budgets.on_limit", "want a string, not int 5"},
		{"level not a string", "profiles:\n  - name: x\n    think_levels: [low, {b: 1}]\n", 3, "profiles[0].think_levels", "want a string, not a mapping"},
		{"names not a list", "profiles:\n  - name: x\n    match: {names: x}\n", 3, "profiles[0].match.names", "want a list of strings"},
		{"message not a string", "profiles:\n  - name: qwen3\n    budget_messages: {fr: [a]}\n", 3, "profiles[0].budget_messages.fr", "want a string, not a list"},
		{"null profile", "profiles:\n  - name: a\n  -\n", 3, "profiles[1]", "want a profile (a mapping), not nothing"},
		{"null options", "profiles:\n  - name: qwen3\n    options:\n", 3, "profiles[0].options", "not nothing"},
		{"null match", "profiles:\n  - name: x\n    match: ~\n", 3, "profiles[0].match", "not nothing"},
		{"null chat", "profiles:\n  - name: x\n    chat: null\n", 3, "profiles[0].chat", "want true or false, not nothing"},
		{"null name", "profiles:\n  - name:\n", 2, "profiles[0].name", "empty name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), ProfilesFile)
			_, err := ParseProfiles(file, []byte(tt.text), Builtins())
			if err == nil {
				t.Fatal("no error")
			}
			var pe *ProfileError
			if !errors.As(err, &pe) {
				t.Fatalf("%T %v, want a *ProfileError", err, err)
			}
			if pe.File != file || pe.Line != tt.line || pe.Field != tt.field {
				t.Errorf("error at %s:%d field %q, want %s:%d field %q (%v)", pe.File, pe.Line, pe.Field, file, tt.line, tt.field, err)
			}
			prefix := file + ":" + strconv.Itoa(tt.line) + ": " + tt.field + ": "
			if s := err.Error(); !strings.HasPrefix(s, prefix) || !strings.Contains(s, tt.msg) {
				t.Errorf("error %q, want prefix %q and %q", s, prefix, tt.msg)
			}
		})
	}
}

// A null value removes what it names: an option, a budget message, a
// budget, all the budgets, a string or a list.
func TestParseProfilesNulls(t *testing.T) {
	base := Builtins()
	for i := range base {
		if base[i].Name == "qwen3" {
			steps, loop := 4, 2
			base[i].Budgets.MaxSteps, base[i].Budgets.Loop = &steps, &loop
			base[i].System, base[i].ThinkLevels = "Think.", []string{"low", "high"}
		}
	}
	tests := []struct {
		name, text string
		ok         func(q Profile) bool
	}{
		{"an option", "options: {num_ctx: null}", func(q Profile) bool {
			_, has := q.Options["num_ctx"]
			return !has && q.Options["top_k"] == 20
		}},
		{"an unknown option", "options: {nothing_such: null}", func(q Profile) bool { return q.Options["top_k"] == 20 }},
		{"a budget message", "budget_messages: {fr: null}", func(q Profile) bool {
			_, has := q.BudgetMessages["fr"]
			return !has && q.BudgetMessages["en"] != ""
		}},
		{"a budget", "budgets: {max_steps: null}", func(q Profile) bool {
			return q.Budgets.MaxSteps == nil && q.Budgets.Loop != nil && *q.Budgets.Loop == 2
		}},
		{"the budgets", "budgets: null", func(q Profile) bool { return q.Budgets.IsZero() }},
		{"the budgets, left empty", "budgets:", func(q Profile) bool { return q.Budgets.IsZero() }},
		{"the system prompt", "system: ~", func(q Profile) bool { return q.System == "" }},
		{"the thinking levels", "think_levels: null", func(q Profile) bool { return q.ThinkLevels == nil }},
		{"nothing: budgets kept", "budgets: {}", func(q Profile) bool { return q.Budgets.MaxSteps != nil && *q.Budgets.MaxSteps == 4 }},
		{"nothing: the rest kept", "chat: false", func(q Profile) bool { return q.System == "Think." && len(q.ThinkLevels) == 2 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bs := make([]Profile, len(base))
			for i, p := range base {
				bs[i] = p.Clone()
			}
			ps, err := ParseProfiles("p.yaml", []byte("profiles:\n  - name: qwen3\n    "+tt.text+"\n"), bs)
			if err != nil {
				t.Fatal(err)
			}
			if q := find(t, ps, "qwen3"); !tt.ok(q) {
				t.Errorf("qwen3 after %q: %+v", tt.text, q)
			}
		})
	}
}

func TestParseProfilesBudgets(t *testing.T) {
	ps, err := ParseProfiles("p.yaml", []byte(`profiles:
  - name: qwen3
    budgets:
      max_steps: 8
      max_think_tokens: 2000
      max_think_time: 45s
      max_answer_tokens: 300
      min_steps: 2
      loop: 0
      on_limit: stop
`), Builtins())
	if err != nil {
		t.Fatal(err)
	}
	var q Profile
	for _, p := range ps {
		if p.Name == "qwen3" {
			q = p
		}
	}
	b := q.Budgets
	l := b.Resolve()
	if l.MaxSteps != 8 || l.MaxThinkTokens != 2000 || l.MaxThinkTime != 45*time.Second || l.MaxAnswerTokens != 300 ||
		l.MinSteps != 2 || b.Loop == nil || *b.Loop != 0 || l.OnLimit != "stop" || b.IsZero() {
		t.Errorf("budgets %+v", b)
	}
	for _, p := range ps {
		if p.Name != "qwen3" && !p.Budgets.IsZero() {
			t.Errorf("%s got budgets %+v", p.Name, p.Budgets)
		}
	}
	c := q.Clone()
	*c.Budgets.Loop = 7
	if *q.Budgets.Loop != 0 {
		t.Error("Clone shares the loop budget")
	}
}

func TestLoadProfilesSyntaxError(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("REIN_CONFIG_DIR", dir)
	file := writeProfiles(t, dir, "profiles:\n  - name: qwen3\n    options: {temperature: 0.5\n")
	_, _, err := LoadProfiles()
	if err == nil {
		t.Fatal("no error")
	}
	var pe *ProfileError
	if !errors.As(err, &pe) || pe.File != file || pe.Line == 0 || !strings.Contains(err.Error(), "invalid YAML") {
		t.Errorf("error %v, want one naming %s and a line", err, file)
	}
}

func TestLoadProfilesUnreadable(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("REIN_CONFIG_DIR", dir)
	// A folder where the file should be.
	if err := os.Mkdir(filepath.Join(dir, ProfilesFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadProfiles(); err == nil || !strings.Contains(err.Error(), ProfilesFile) {
		t.Errorf("error %v, want one naming the file", err)
	}
}

// TestParseProfilesProbeLead: probe_lead sets a profile's answer lead-in
// for early-exit probes.
func TestParseProfilesProbeLead(t *testing.T) {
	ps, err := ParseProfiles("p.yaml", []byte("profiles:\n  - name: qwen3\n    probe_lead: \"\\n\\nThe answer is\"\n"), Builtins())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Name == "qwen3" && p.ProbeLead != "\n\nThe answer is" {
			t.Errorf("probe_lead %q", p.ProbeLead)
		}
	}
	if _, err := ParseProfiles("p.yaml", []byte("profiles:\n  - name: qwen3\n    probe_lead: [1]\n"), Builtins()); err == nil || !strings.Contains(err.Error(), "p.yaml:3: profiles[0].probe_lead") {
		t.Errorf("a list as probe_lead: %v", err)
	}
}
