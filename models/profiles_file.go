package models

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
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
// is a built-in's changes the fields it sets and keeps the others: options
// and budget_messages merge key by key (a null value removes a key), every
// other field is replaced. An entry with a new name adds a profile, which
// starts from the generic profile's defaults and is matched before the
// built-ins. Unknown fields are errors, and every error names the file, the
// line and the field.
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
// profiles it touches.
func ParseProfiles(file string, data []byte, base []Profile) ([]Profile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fileSyntaxError(file, err)
	}
	out := make([]Profile, len(base))
	for i, p := range base {
		out[i] = p.Clone()
	}
	if len(doc.Content) == 0 {
		return out, nil // empty file
	}
	d := &decoder{file: file}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			return out, nil
		}
		return nil, d.errorf(root, "", "want a mapping with a `profiles` list, not %s", kindName(root))
	}
	var added []Profile
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "profiles" {
			return nil, d.errorf(k, k.Value, "unknown field (want `profiles`)")
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue
		}
		if v.Kind != yaml.SequenceNode {
			return nil, d.errorf(v, "profiles", "want a list of profiles, not %s", kindName(v))
		}
		seen := map[string]bool{}
		for j, item := range v.Content {
			field := fmt.Sprintf("profiles[%d]", j)
			name, err := d.profileName(item, field)
			if err != nil {
				return nil, err
			}
			if seen[name] {
				return nil, d.errorf(item, field+".name", "profile %q is given twice", name)
			}
			seen[name] = true
			idx := slices.IndexFunc(out, func(p Profile) bool { return p.Name == name })
			var p Profile
			if idx >= 0 {
				p = out[idx]
			} else {
				p = newProfile(name)
			}
			if err := d.profile(item, field, &p); err != nil {
				return nil, err
			}
			p.Source = file
			if err := d.check(item, field, p); err != nil {
				return nil, err
			}
			if idx >= 0 {
				out[idx] = p
			} else {
				added = append(added, p)
			}
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

type decoder struct{ file string }

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

func (d *decoder) errorf(n *yaml.Node, field, format string, a ...any) error {
	return &ProfileError{File: d.file, Line: n.Line, Field: field, Msg: fmt.Sprintf(format, a...)}
}

// fileSyntaxError turns yaml's "yaml: line 3: ..." into a ProfileError.
func fileSyntaxError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		_, msg, _ = strings.Cut(msg, ":")
		msg = strings.TrimSpace(msg)
	}
	return &ProfileError{File: file, Line: line, Msg: "invalid YAML: " + msg}
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
	switch n.Tag {
	case "!!null":
		return "nothing"
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	}
	return fmt.Sprintf("%s %s", strings.TrimPrefix(n.Tag, "!!"), n.Value)
}

var profileFields = []string{"name", "match", "think_open", "think_close", "system", "options", "budget_messages", "step_split", "think_off", "think_levels", "chat", "budgets"}

func (d *decoder) profileName(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.MappingNode {
		return "", d.errorf(n, field, "want a profile (a mapping), not %s", kindName(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "name" {
			s, err := d.str(n.Content[i+1], field+".name")
			if err != nil {
				return "", err
			}
			if strings.TrimSpace(s) == "" {
				return "", d.errorf(n.Content[i+1], field+".name", "empty name")
			}
			return s, nil
		}
	}
	return "", d.errorf(n, field+".name", "missing: every profile needs a name")
}

func (d *decoder) profile(n *yaml.Node, field string, p *Profile) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := field + "." + k.Value
		var err error
		switch k.Value {
		case "name":
		case "match":
			err = d.match(v, f, &p.Match)
		case "think_open":
			p.ThinkOpen, err = d.str(v, f)
		case "think_close":
			p.ThinkClose, err = d.str(v, f)
		case "system":
			p.System, err = d.str(v, f)
		case "step_split":
			if p.StepSplit, err = d.str(v, f); err == nil && !slices.Contains(stepSplits, p.StepSplit) {
				err = d.errorf(v, f, "%q is not a step split (want %s)", p.StepSplit, strings.Join(stepSplits, ", "))
			}
		case "think_levels":
			p.ThinkLevels, err = d.strs(v, f)
		case "chat":
			p.Chat, err = d.boolean(v, f)
		case "think_off":
			err = d.thinkOff(v, f, &p.ThinkOff)
		case "options":
			err = d.options(v, f, p)
		case "budget_messages":
			err = d.budgets(v, f, p)
		case "budgets":
			err = d.limits(v, f, &p.Budgets)
		default:
			err = d.errorf(k, f, "unknown field (want one of %s)", strings.Join(profileFields, ", "))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// check validates a profile once the file's fields are applied.
func (d *decoder) check(n *yaml.Node, field string, p Profile) error {
	if (p.ThinkOpen == "") != (p.ThinkClose == "") {
		missing, set := field+".think_close", field+".think_open"
		if p.ThinkOpen == "" {
			missing, set = set, missing
		}
		return d.errorf(d.at(n, set), missing, "think_open and think_close go together: set both or neither")
	}
	if p.BudgetMessages["en"] == "" {
		return d.errorf(d.at(n, field+".budget_messages"), field+".budget_messages", `an "en" message is required`)
	}
	return nil
}

// at returns the value node of a field of a profile's mapping, or the
// mapping itself.
func (d *decoder) at(n *yaml.Node, field string) *yaml.Node {
	key := field[strings.LastIndexByte(field, '.')+1:]
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return n
}

func (d *decoder) match(n *yaml.Node, field string, m *MatchRule) error {
	if n.Kind != yaml.MappingNode {
		return d.errorf(n, field, "want a mapping (families, names, template_contains), not %s", kindName(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := field + "." + k.Value
		var err error
		switch k.Value {
		case "families":
			m.Families, err = d.strs(v, f)
		case "names":
			if m.Names, err = d.strs(v, f); err == nil {
				for j, pat := range m.Names {
					if _, perr := path.Match(strings.ToLower(pat), ""); perr != nil {
						return d.errorf(v.Content[j], f, "bad pattern %q: %v", pat, perr)
					}
				}
			}
		case "template_contains":
			m.TemplateContains, err = d.strs(v, f)
		default:
			err = d.errorf(k, f, "unknown field (want families, names or template_contains)")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) thinkOff(n *yaml.Node, field string, t *ThinkOff) error {
	if n.Kind != yaml.MappingNode {
		return d.errorf(n, field, "want a mapping (how, suffix, on_suffix), not %s", kindName(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := field + "." + k.Value
		var err error
		switch k.Value {
		case "how":
			t.How, err = d.str(v, f)
			if err == nil && t.How != "" && t.How != ThinkOffFlag && t.How != ThinkOffPromptSuffix {
				err = d.errorf(v, f, "%q is not a way to turn thinking off (want %s or %s)", t.How, ThinkOffFlag, ThinkOffPromptSuffix)
			}
		case "suffix":
			t.Suffix, err = d.str(v, f)
		case "on_suffix":
			t.OnSuffix, err = d.str(v, f)
		default:
			err = d.errorf(k, f, "unknown field (want how, suffix or on_suffix)")
		}
		if err != nil {
			return err
		}
	}
	if t.How == ThinkOffPromptSuffix && t.Suffix == "" {
		return d.errorf(n, field+".suffix", "prompt-suffix needs a suffix (such as /no_think)")
	}
	return nil
}

func (d *decoder) options(n *yaml.Node, field string, p *Profile) error {
	if n.Kind != yaml.MappingNode {
		return d.errorf(n, field, "want a mapping of Ollama options, not %s", kindName(n))
	}
	if p.Options == nil {
		p.Options = map[string]any{}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := field + "." + k.Value
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			delete(p.Options, k.Value)
			continue
		}
		if v.Kind == yaml.MappingNode {
			return d.errorf(v, f, "want a number, a string, a boolean or a list, not a mapping")
		}
		var x any
		if err := v.Decode(&x); err != nil {
			return d.errorf(v, f, "%v", err)
		}
		if err := CheckOption(k.Value, x); err != nil {
			return d.errorf(v, f, "%v", err)
		}
		p.Options[k.Value] = x
	}
	return nil
}

func (d *decoder) budgets(n *yaml.Node, field string, p *Profile) error {
	if n.Kind != yaml.MappingNode {
		return d.errorf(n, field, "want a mapping from language (ISO 639-1) to message, not %s", kindName(n))
	}
	if p.BudgetMessages == nil {
		p.BudgetMessages = map[string]string{}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := field + "." + k.Value
		lang := strings.ToLower(k.Value)
		if !validLang(lang) {
			return d.errorf(k, f, "%q is not a language code (want ISO 639-1, such as en or pt-br)", k.Value)
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			delete(p.BudgetMessages, lang)
			continue
		}
		s, err := d.str(v, f)
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
// fields it names replace those of b.
func (d *decoder) limits(n *yaml.Node, field string, b *budget.Budgets) error {
	keys := budget.Keys(budget.ByProfile)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		*b = budget.Budgets{}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return d.errorf(n, field, "want a mapping (%s), not %s", strings.Join(keys, ", "), kindName(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := field + "." + k.Value
		name, ok := budget.Lookup(k.Value, budget.ByProfile)
		if !ok {
			return d.errorf(k, f, "unknown field (want one of %s)", strings.Join(keys, ", "))
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			name.Unset(b)
			continue
		}
		var want string
		switch name.Kind {
		case budget.KindTokens, budget.KindSteps:
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
				return d.errorf(v, f, "want a whole number of 0 or more, not %s", kindName(v))
			}
		case budget.KindProbability:
			want = "a number between 0 and 1"
			if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") {
				return d.errorf(v, f, "want %s, not %s", want, kindName(v))
			}
		default:
			if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
				return d.errorf(v, f, "want a string, not %s (quote it)", kindName(v))
			}
		}
		if err := name.Parse(b, v.Value); err != nil {
			return d.errorf(v, f, "%v", err)
		}
	}
	return nil
}

// count reads a whole number of 0 or more, within the limit of a budget
// of that kind.
func (d *decoder) count(n *yaml.Node, field string, kind hooks.BudgetKind) (int, error) {
	var k int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&k) != nil || k < 0 {
		return 0, d.errorf(n, field, "want a whole number of 0 or more, not %s", kindName(n))
	}
	if err := hooks.CheckLimit("", kind, int64(k)); err != nil {
		return 0, d.errorf(n, field, "%v", err)
	}
	return k, nil
}

func (d *decoder) str(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return "", nil
		}
		return "", d.errorf(n, field, "want a string, not %s (quote it)", kindName(n))
	}
	return n.Value, nil
}

func (d *decoder) strs(n *yaml.Node, field string) ([]string, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, d.errorf(n, field, "want a list of strings, not %s", kindName(n))
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		s, err := d.str(c, field)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (d *decoder) boolean(n *yaml.Node, field string) (bool, error) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return false, d.errorf(n, field, "want true or false, not %s", kindName(n))
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		return false, d.errorf(n, field, "%v", err)
	}
	return b, nil
}
