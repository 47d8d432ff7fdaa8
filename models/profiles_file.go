package models

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rein-dev/rein/budget"
)

// ProfilesFile is the name of the user's profile file in ConfigDir.
const ProfilesFile = "profiles.yaml"

// ConfigDir is rein's configuration folder: $REIN_CONFIG_DIR, else
// $XDG_CONFIG_HOME/rein, else ~/.config/rein.
func ConfigDir() string {
	if d := os.Getenv("REIN_CONFIG_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "rein")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".config", "rein")
	}
	return filepath.Join(home, ".config", "rein")
}

// ProfilesPath is where the user's profile file is looked for.
func ProfilesPath() string { return filepath.Join(ConfigDir(), ProfilesFile) }

// LoadProfiles returns the built-in profiles with the user's file applied
// (see LoadProfilesFrom), and the path of the file it read: "" when there is
// none, which is no error.
func LoadProfiles() (profiles []Profile, path string, err error) {
	return LoadProfilesFrom(ProfilesPath())
}

// LoadProfilesFrom applies the profile file at path to the built-in
// profiles. A missing file gives the built-ins and path "".
//
// The file holds a list of profiles under `profiles:`. An entry whose name
// is a built-in's changes the fields it sets and keeps the others:
// options, budget_messages and budgets merge key by key (a null value
// removes a key; `budgets: null` clears them all), every other field is
// replaced. An entry with a new name adds a profile, which starts from the
// generic profile's defaults and is matched before the built-ins. Unknown
// fields, keys given twice and a name given twice are errors, and every
// error names the file, the line and the field.
func LoadProfilesFrom(path string) (profiles []Profile, read string, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Builtins(), "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read profiles: %w", err)
	}
	ps, err := ParseProfiles(path, b, Builtins())
	if err != nil {
		return nil, "", err
	}
	return ps, path, nil
}

// ParseProfiles applies a profile file's contents to base (see
// LoadProfilesFrom); file names the file in errors and in the Source of the
// profiles it touches. The file is decoded by yaml.v3 (profiles_decode.go);
// the first problem is the error.
func ParseProfiles(file string, data []byte, base []Profile) ([]Profile, error) {
	out := make([]Profile, len(base))
	for i, p := range base {
		out[i] = p.Clone()
	}
	k := &checker{file: file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var raw rawFile
	var te *yaml.TypeError
	if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
		return out, nil // empty file
	} else if errors.As(err, &te) && len(te.Errors) > 0 {
		return nil, k.issue(te.Errors, "", "")
	} else if err != nil {
		return nil, fileSyntaxError(file, err)
	}
	at := raw.at
	switch {
	case at.line == 0:
		return out, nil // null
	case at.got != "":
		return nil, k.errorf(at.line, "", "want a mapping with a `profiles` list, not %s", at.got)
	}
	if err := k.issue(at.issues, "", "`profiles`"); err != nil {
		return nil, err
	}
	list := raw.Profiles
	if list.Got != "" {
		return nil, k.errorf(list.Line, "profiles", "want a list of profiles, not %s", list.Got)
	}
	var added []Profile
	seen := map[string]bool{}
	for j := range list.Items {
		field := fmt.Sprintf("profiles[%d]", j)
		rp := list.Items[j]
		line := list.Line
		if j < len(list.Lines) {
			line = list.Lines[j]
		}
		name, err := k.profileName(rp, field, line)
		if err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, k.errorf(rp.Name.Line, field+".name", "profile %q is given twice", name)
		}
		seen[name] = true
		idx := slices.IndexFunc(out, func(p Profile) bool { return p.Name == name })
		var p Profile
		if idx >= 0 {
			p = out[idx]
		} else {
			p = newProfile(name)
		}
		if err := k.profile(rp, field, &p); err != nil {
			return nil, err
		}
		p.Source = file
		if err := k.check(rp, field, p); err != nil {
			return nil, err
		}
		if idx >= 0 {
			out[idx] = p
		} else {
			added = append(added, p)
		}
	}
	return append(added, out...), nil
}

// newProfile is where a profile the user adds starts from.
func newProfile(name string) Profile {
	g := Builtins()
	p := g[len(g)-1].Clone()
	p.Name = name
	return p
}

// checker applies the decoded file to the profiles, one check at a time.
type checker struct{ file string }

// ProfileError is an error in a profile file: the file, the line and the
// field it is about.
type ProfileError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *ProfileError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Msg)
}

func (k *checker) errorf(line int, field, format string, a ...any) error {
	return &ProfileError{File: k.file, Line: line, Field: field, Msg: fmt.Sprintf(format, a...)}
}

// fileSyntaxError turns yaml's "yaml: line 3: ..." into a ProfileError.
func fileSyntaxError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		_, msg, _ = strings.Cut(msg, ":")
		msg = strings.TrimSpace(msg)
	}
	return &ProfileError{File: file, Line: line, Msg: "invalid YAML: " + oneLine(msg)}
}

var profileFields = []string{"name", "match", "think_open", "think_close", "system", "options", "budget_messages", "step_split", "think_off", "think_levels", "chat", "budgets", "probe_lead"}

// profileName checks that an entry of the list is a profile and returns
// its name; line is the entry's line.
func (k *checker) profileName(rp *rawProfile, field string, line int) (string, error) {
	if rp == nil {
		return "", k.errorf(line, field, "want a profile (a mapping), not nothing")
	}
	at := rp.at
	if at.got != "" {
		return "", k.errorf(at.line, field, "want a profile (a mapping), not %s", at.got)
	}
	if err := k.issue(at.issues, field, "one of "+strings.Join(profileFields, ", ")); err != nil {
		return "", err
	}
	v := at.value("name", rp.Name)
	if v.Line == 0 {
		return "", k.errorf(at.line, field+".name", "missing: every profile needs a name")
	}
	s, err := k.str(v, field+".name")
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(s) == "" {
		return "", k.errorf(v.Line, field+".name", "empty name")
	}
	return s, nil
}

// profile applies the fields an entry sets to p.
func (k *checker) profile(rp *rawProfile, field string, p *Profile) error {
	at := rp.at
	for _, f := range []struct {
		key string
		v   value
		to  *string
	}{
		{"think_open", rp.ThinkOpen, &p.ThinkOpen},
		{"think_close", rp.ThinkClose, &p.ThinkClose},
		{"system", rp.System, &p.System},
		{"probe_lead", rp.ProbeLead, &p.ProbeLead},
		{"step_split", rp.StepSplit, &p.StepSplit},
	} {
		v := at.value(f.key, f.v)
		if v.Line == 0 {
			continue
		}
		s, err := k.str(v, field+"."+f.key)
		if err != nil {
			return err
		}
		if f.to == &p.StepSplit && !slices.Contains(stepSplits, s) {
			return k.errorf(v.Line, field+".step_split", "%q is not a step split (want %s)", s, strings.Join(stepSplits, ", "))
		}
		*f.to = s
	}
	if l := rp.ThinkLevels; l.Line > 0 || at.nulls["think_levels"] > 0 {
		var err error
		if p.ThinkLevels, err = k.strs(l, field+".think_levels"); err != nil {
			return err
		}
	}
	if v := at.value("chat", rp.Chat); v.Line > 0 {
		if v.Tag != "!!bool" || v.node.Decode(&p.Chat) != nil {
			return k.errorf(v.Line, field+".chat", "want true or false, not %s", v.Got)
		}
	}
	if null := at.nulls["match"]; rp.Match.at.line > 0 || null > 0 {
		if err := k.match(rp.Match, field+".match", null, &p.Match); err != nil {
			return err
		}
	}
	if null := at.nulls["think_off"]; rp.ThinkOff.at.line > 0 || null > 0 {
		if err := k.thinkOff(rp.ThinkOff, field+".think_off", null, &p.ThinkOff); err != nil {
			return err
		}
	}
	if null := at.nulls["options"]; rp.Options.Line > 0 || null > 0 {
		if err := k.options(rp.Options, field+".options", null, p); err != nil {
			return err
		}
	}
	if null := at.nulls["budget_messages"]; rp.BudgetMessages.Line > 0 || null > 0 {
		if err := k.budgetMessages(rp.BudgetMessages, field+".budget_messages", null, p); err != nil {
			return err
		}
	}
	if null := at.nulls["budgets"]; rp.Budgets.Line > 0 || null > 0 {
		if err := k.limits(rp.Budgets, field+".budgets", null, &p.Budgets); err != nil {
			return err
		}
	}
	return nil
}

// check validates a profile once the file's fields are applied.
func (k *checker) check(rp *rawProfile, field string, p Profile) error {
	at := rp.at
	if (p.ThinkOpen == "") != (p.ThinkClose == "") {
		missing, set, v := "think_close", "think_open", rp.ThinkOpen
		if p.ThinkOpen == "" {
			missing, set, v = set, missing, rp.ThinkClose
		}
		return k.errorf(orLine(at.value(set, v).Line, at.line), field+"."+missing, "think_open and think_close go together: set both or neither")
	}
	if p.BudgetMessages["en"] == "" {
		return k.errorf(orLine(rp.BudgetMessages.Line, at.line), field+".budget_messages", `an "en" message is required`)
	}
	return nil
}

// cmpLine is line, else the line of what holds it.
func orLine(line, outer int) int {
	if line > 0 {
		return line
	}
	return outer
}

// mapping checks a mapping of fixed keys given at field: null is the line
// of a null one; want names its keys.
func (k *checker) mapping(at place, field string, null int, want string) error {
	switch {
	case null > 0:
		return k.errorf(null, field, "want a mapping (%s), not nothing", want)
	case at.got != "":
		return k.errorf(at.line, field, "want a mapping (%s), not %s", want, at.got)
	}
	return k.issue(at.issues, field, want)
}

func (k *checker) match(rm rawMatch, field string, null int, m *MatchRule) error {
	at := rm.at
	if err := k.mapping(at, field, null, "families, names or template_contains"); err != nil {
		return err
	}
	for _, f := range []struct {
		key string
		l   values
		to  *[]string
	}{
		{"families", rm.Families, &m.Families},
		{"names", rm.Names, &m.Names},
		{"template_contains", rm.TemplateContains, &m.TemplateContains},
	} {
		if f.l.Line == 0 && at.nulls[f.key] == 0 {
			continue
		}
		ss, err := k.strs(f.l, field+"."+f.key)
		if err != nil {
			return err
		}
		if f.to == &m.Names {
			for j, pat := range ss {
				if _, perr := path.Match(strings.ToLower(pat), ""); perr != nil {
					return k.errorf(orLine(f.l.Items[j].line(), f.l.Line), field+".names", "bad pattern %q: %v", pat, perr)
				}
			}
		}
		*f.to = ss
	}
	return nil
}

func (k *checker) thinkOff(rt rawThinkOff, field string, null int, t *ThinkOff) error {
	at := rt.at
	if err := k.mapping(at, field, null, "how, suffix or on_suffix"); err != nil {
		return err
	}
	for _, f := range []struct {
		key string
		v   value
		to  *string
	}{
		{"how", rt.How, &t.How},
		{"suffix", rt.Suffix, &t.Suffix},
		{"on_suffix", rt.OnSuffix, &t.OnSuffix},
	} {
		v := at.value(f.key, f.v)
		if v.Line == 0 {
			continue
		}
		s, err := k.str(v, field+"."+f.key)
		if err != nil {
			return err
		}
		if f.to == &t.How && s != "" && s != ThinkOffFlag && s != ThinkOffPromptSuffix {
			return k.errorf(v.Line, field+".how", "%q is not a way to turn thinking off (want %s or %s)", s, ThinkOffFlag, ThinkOffPromptSuffix)
		}
		*f.to = s
	}
	if t.How == ThinkOffPromptSuffix && t.Suffix == "" {
		return k.errorf(at.line, field+".suffix", "prompt-suffix needs a suffix (such as /no_think)")
	}
	return nil
}

// dataMapping checks a mapping whose keys are data, given at field: null
// is the line of a null one; want says what it holds.
func (k *checker) dataMapping(m valueMap, field string, null int, want string) error {
	switch {
	case null > 0:
		return k.errorf(null, field, "want %s, not nothing", want)
	case m.Got != "":
		return k.errorf(m.Line, field, "want %s, not %s", want, m.Got)
	}
	return k.issue(m.Issues, field, "")
}

func (k *checker) options(m valueMap, field string, null int, p *Profile) error {
	if err := k.dataMapping(m, field, null, "a mapping of Ollama options"); err != nil {
		return err
	}
	if p.Options == nil {
		p.Options = map[string]any{}
	}
	for _, e := range m.Entries {
		v, f := e.Value, fieldOf(field, e.Key)
		switch {
		case v.null():
			delete(p.Options, e.Key)
			continue
		case v.Kind == yaml.MappingNode:
			return k.errorf(v.Line, f, "want a number, a string, a boolean or a list, not a mapping")
		}
		var x any
		if err := v.node.Decode(&x); err != nil {
			return k.errorf(v.Line, f, "%s", oneLine(err.Error()))
		}
		if err := CheckOption(e.Key, x); err != nil {
			return k.errorf(v.Line, f, "%s", oneLine(err.Error()))
		}
		p.Options[e.Key] = x
	}
	return nil
}

func (k *checker) budgetMessages(m valueMap, field string, null int, p *Profile) error {
	if err := k.dataMapping(m, field, null, "a mapping from language (ISO 639-1) to message"); err != nil {
		return err
	}
	if p.BudgetMessages == nil {
		p.BudgetMessages = map[string]string{}
	}
	for _, e := range m.Entries {
		v, f := e.Value, fieldOf(field, e.Key)
		lang := strings.ToLower(e.Key)
		if !validLang(lang) {
			return k.errorf(orLine(v.Line, m.Line), f, "%q is not a language code (want ISO 639-1, such as en or pt-br)", e.Key)
		}
		if v.null() {
			delete(p.BudgetMessages, lang)
			continue
		}
		s, err := k.str(v, f)
		if err != nil {
			return err
		}
		p.BudgetMessages[lang] = s
	}
	return nil
}

// validLang accepts "en" and "pt-br" style codes.
func validLang(s string) bool {
	base, region, hasRegion := strings.Cut(s, "-")
	isLetters := func(t string, n ...int) bool {
		if !slices.Contains(n, len(t)) {
			return false
		}
		for _, r := range t {
			if r < 'a' || r > 'z' {
				return false
			}
		}
		return true
	}
	return isLetters(base, 2) && (!hasRegion || isLetters(region, 2, 3, 4))
}

// limits reads a profile's budgets (the keys budget.Names gives them); the
// fields it names replace those of b, and a null budgets clears them.
func (k *checker) limits(m valueMap, field string, null int, b *budget.Budgets) error {
	if null > 0 {
		*b = budget.Budgets{}
		return nil
	}
	keys := budget.Keys(budget.ByProfile)
	if err := k.dataMapping(m, field, 0, "a mapping ("+strings.Join(keys, ", ")+")"); err != nil {
		return err
	}
	for _, e := range m.Entries {
		v, f := e.Value, fieldOf(field, e.Key)
		name, ok := budget.Lookup(e.Key, budget.ByProfile)
		if !ok {
			return k.errorf(orLine(v.Line, m.Line), f, "unknown field (want one of %s)", strings.Join(keys, ", "))
		}
		if v.null() {
			name.Unset(b)
			continue
		}
		switch name.Kind {
		case budget.KindTokens, budget.KindSteps:
			if v.Tag != "!!int" {
				return k.errorf(v.Line, f, "want a whole number of 0 or more, not %s", v.Got)
			}
		case budget.KindProbability:
			if v.Tag != "!!int" && v.Tag != "!!float" {
				return k.errorf(v.Line, f, "want a number between 0 and 1, not %s", v.Got)
			}
		default:
			if v.Tag != "!!str" {
				return k.errorf(v.Line, f, "want a string, not %s (quote it)", v.Got)
			}
		}
		if err := name.Parse(b, v.Text); err != nil {
			return k.errorf(v.Line, f, "%s", oneLine(err.Error()))
		}
	}
	return nil
}

// str reads a string: null is "".
func (k *checker) str(v value, field string) (string, error) {
	if v.null() {
		return "", nil
	}
	if v.Tag != "!!str" {
		return "", k.errorf(v.Line, field, "want a string, not %s (quote it)", v.Got)
	}
	return v.Text, nil
}

// strs reads a list of strings: null is none.
func (k *checker) strs(l values, field string) ([]string, error) {
	if l.Line == 0 {
		return nil, nil
	}
	if l.Got != "" {
		return nil, k.errorf(l.Line, field, "want a list of strings, not %s", l.Got)
	}
	out := make([]string, 0, len(l.Items))
	for _, v := range l.Items {
		if v == nil {
			out = append(out, "") // a null entry
			continue
		}
		s, err := k.str(*v, field)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
