// Package models knows the model families rein drives: their profiles
// (thinking tags, system prompt, sampling defaults, budget messages), the
// models an Ollama server holds and runs, and what the hardware does while a
// model decodes. It talks to Ollama through its API and never prints.
package models

import (
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/template"
	"github.com/ollama/ollama/thinking"

	"github.com/rein-dev/rein/budget"
)

// A Profile is what rein knows about a model family: how its thinking is
// tagged and switched, and the defaults a run starts from. A profile value
// is a default; a flag always wins over it.
type Profile struct {
	Name  string    `json:"name"`
	Match MatchRule `json:"match"`
	// ThinkOpen and ThinkClose tag the thinking trace in the raw output.
	// Empty for a model whose thinking is not tagged in text (gpt-oss's
	// harmony channels) or that does not think.
	ThinkOpen  string `json:"think_open,omitempty"`
	ThinkClose string `json:"think_close,omitempty"`
	// System is the default system prompt.
	System string `json:"system,omitempty"`
	// Options are sampling defaults for Ollama's options (temperature,
	// top_p, top_k, ...). num_ctx is the smallest context recommended.
	Options map[string]any `json:"options,omitempty"`
	// BudgetMessages are the texts that close a cut trace, by ISO 639-1
	// language; "en" is always present.
	BudgetMessages map[string]string `json:"budget_messages,omitempty"`
	// StepSplit is the default step split: paragraph, line, sentence or marker.
	StepSplit string `json:"step_split,omitempty"`
	// ThinkOff says how to turn thinking off.
	ThinkOff ThinkOff `json:"think_off"`
	// ThinkLevels are the thinking levels the model accepts (gpt-oss: low,
	// medium, high); empty when thinking is only on or off.
	ThinkLevels []string `json:"think_levels,omitempty"`
	// ProbeLead is the answer lead-in of an early exit's answer probes: it
	// follows the closing tag, to lead the model to its answer (such as
	// "\n\nThe answer is"). Empty lets the model start its answer as it
	// would; the built-ins set none.
	ProbeLead string `json:"probe_lead,omitempty"`
	// Chat means: drive the model through Ollama's chat path, whose parser
	// is built in (gpt-oss's harmony format), not by raw generation.
	Chat bool `json:"chat,omitempty"`
	// Budgets are default reasoning budgets for the models the profile
	// matches (set in the user's file; the built-ins set none). Each one
	// fills the same budget of a run (rein run, rein proxy, the chat) that
	// the user left unset: a flag or a request option always wins.
	Budgets budget.Budgets `json:"budgets,omitzero"`
	// Source is "built-in", or the path of the user file that added the
	// profile or changed it.
	Source string `json:"source"`
}

// MatchRule says which models a profile is for.
type MatchRule struct {
	// Families are Ollama model families (details.family, details.families,
	// general.architecture), compared without case.
	Families []string `json:"families,omitempty"`
	// Names are patterns on the model name, compared without case against
	// the whole name and against the part after its last slash. A pattern
	// with *, ? or [ is a glob ("qwen3*"); a plain one matches the name or
	// the name with any tag ("qwen3" matches "qwen3:8b").
	Names []string `json:"names,omitempty"`
	// TemplateContains are strings the model's chat template contains, all
	// of them.
	TemplateContains []string `json:"template_contains,omitempty"`
}

// How thinking is turned off.
const (
	// ThinkOffFlag sends Ollama's think: false (and renders the template
	// with thinking off).
	ThinkOffFlag = "flag"
	// ThinkOffPromptSuffix appends ThinkOff.Suffix to the user's prompt
	// (Qwen3's "/no_think"); ThinkOff.OnSuffix turns it back on.
	ThinkOffPromptSuffix = "prompt-suffix"
)

// ThinkOff says how to turn a model's thinking off. How is "" when the model
// cannot stop thinking (gpt-oss: use the lowest level).
type ThinkOff struct {
	How      string `json:"how,omitempty"`
	Suffix   string `json:"suffix,omitempty"`
	OnSuffix string `json:"on_suffix,omitempty"`
}

// SourceBuiltin is the Source of a built-in profile.
const SourceBuiltin = "built-in"

// GenericName is the name of the fallback profile.
const GenericName = "generic"

// Step split modes (the hooks package's step modes).
var stepSplits = []string{"paragraph", "line", "sentence", "marker"}

// budgetMessages close a cut trace: the runner appends the message and then
// the closing tag, and the model answers from what it has.
var budgetMessages = map[string]string{
	"en": "\n\nConsidering the limited time by the user, I have to give the solution based on the thinking directly now.\n",
	"fr": "\n\nCompte tenu du temps limité, je dois maintenant donner la réponse directement à partir de ma réflexion.\n",
	"de": "\n\nDa die Zeit begrenzt ist, muss ich jetzt direkt auf Grundlage meiner Überlegungen antworten.\n",
	"es": "\n\nDado el tiempo limitado, debo dar ahora la respuesta directamente a partir de mi razonamiento.\n",
	"it": "\n\nDato il tempo limitato, devo ora dare la risposta direttamente in base al mio ragionamento.\n",
	"pt": "\n\nDado o tempo limitado, preciso dar a resposta agora, diretamente com base no meu raciocínio.\n",
	"ru": "\n\nУчитывая ограниченное время, я должен сейчас дать ответ, опираясь на свои рассуждения.\n",
	"zh": "\n\n考虑到时间有限，我现在必须直接根据已有的思考给出答案。\n",
	"ja": "\n\n時間が限られているので、これまでの考えに基づいて今すぐ答えを出します。\n",
}

// The published Magistral reasoning system prompts.
const (
	// Magistral Small 2506 (<think> tags as text).
	magistralSystem = "A user will ask you to solve a task. You should first draft your thinking process (inner monologue) until you have derived the final answer. Afterwards, write a self-contained summary of your thoughts (i.e. your summary should be succinct but contain all the critical steps you needed to reach the conclusion). You should use Markdown to format your response. Write both your thoughts and summary in the same language as the task posed by the user. NEVER use \\boxed{} in your response.\n\n" +
		"Your thinking process must follow the template below:\n<think>\nYour thoughts or/and draft, like working through an exercise on scratch paper. Be as casual and as long as you want until you are confident to generate a correct answer.\n</think>\n\n" +
		"Here, provide a concise summary that reflects your reasoning and presents a clear final answer to the user. Don't mention that this is a summary.\n\nProblem:\n\n"
	// Magistral Small 2507 and later ([THINK] control tokens).
	magistralThinkSystem = "# HOW YOU SHOULD THINK AND ANSWER\n\n" +
		"First draft your thinking process (inner monologue) until you arrive at a response. Format your response using Markdown, and use LaTeX for any mathematical equations. Write both your thoughts and the response in the same language as the input.\n\n" +
		"Your thinking process must follow the template below:[THINK]Your thoughts or/and draft, like working through an exercise on scratch paper. Be as casual and as long as you want until you are confident to generate the response. Use the same language as the input.[/THINK]Here, provide a self-contained response."
)

// Builtins returns the built-in profiles, in matching order, generic last.
// Each call returns fresh copies.
func Builtins() []Profile {
	ps := []Profile{
		{
			Name:       "magistral",
			Match:      MatchRule{Names: []string{"magistral*"}, TemplateContains: []string{"[INST]", "<think>"}},
			ThinkOpen:  "<think>",
			ThinkClose: "</think>",
			System:     magistralSystem,
			Options:    map[string]any{"temperature": 0.7, "top_p": 0.95, "num_ctx": 40960},
			ThinkOff:   ThinkOff{How: ThinkOffFlag},
		},
		{
			Name:       "magistral-think",
			Match:      MatchRule{Names: []string{"magistral*"}, TemplateContains: []string{"[THINK]", "[/THINK]"}},
			ThinkOpen:  "[THINK]",
			ThinkClose: "[/THINK]",
			System:     magistralThinkSystem,
			Options:    map[string]any{"temperature": 0.7, "top_p": 0.95, "num_ctx": 40960},
			ThinkOff:   ThinkOff{How: ThinkOffFlag},
		},
		{
			Name:       "qwen3",
			Match:      MatchRule{Names: []string{"qwen3*"}, Families: []string{"qwen3", "qwen3moe"}, TemplateContains: []string{"<|im_start|>", "<think>"}},
			ThinkOpen:  "<think>",
			ThinkClose: "</think>",
			Options:    map[string]any{"temperature": 0.6, "top_p": 0.95, "top_k": 20, "min_p": 0.0, "num_ctx": 32768},
			ThinkOff:   ThinkOff{How: ThinkOffPromptSuffix, Suffix: "/no_think", OnSuffix: "/think"},
		},
		{
			Name:       "deepseek-r1",
			Match:      MatchRule{Names: []string{"deepseek-r1*"}, TemplateContains: []string{"<｜Assistant｜>"}},
			ThinkOpen:  "<think>",
			ThinkClose: "</think>",
			Options:    map[string]any{"temperature": 0.6, "top_p": 0.95, "num_ctx": 32768},
			ThinkOff:   ThinkOff{How: ThinkOffFlag},
		},
		{
			Name:        "gpt-oss",
			Match:       MatchRule{Names: []string{"gpt-oss*"}, Families: []string{"gptoss", "gpt-oss"}, TemplateContains: []string{"<|channel|>"}},
			Options:     map[string]any{"temperature": 1.0, "top_p": 1.0},
			ThinkLevels: []string{"low", "medium", "high"},
			Chat:        true,
		},
		{
			Name:     GenericName,
			ThinkOff: ThinkOff{How: ThinkOffFlag},
		},
	}
	for i := range ps {
		ps[i].Source = SourceBuiltin
		ps[i].StepSplit = "paragraph"
		ps[i].BudgetMessages = maps.Clone(budgetMessages)
	}
	return ps
}

// Clone returns a deep copy of p.
func (p Profile) Clone() Profile {
	p.Match = MatchRule{
		Families:         slices.Clone(p.Match.Families),
		Names:            slices.Clone(p.Match.Names),
		TemplateContains: slices.Clone(p.Match.TemplateContains),
	}
	p.Options = maps.Clone(p.Options)
	p.BudgetMessages = maps.Clone(p.BudgetMessages)
	p.ThinkLevels = slices.Clone(p.ThinkLevels)
	p.Budgets = budget.Budgets{}.Or(p.Budgets) // a deep copy
	return p
}

// BudgetMessage returns the budget message for a language (ISO 639-1, or a
// tag such as "pt-BR"), falling back to English.
func (p Profile) BudgetMessage(lang string) string {
	lang = strings.ToLower(lang)
	if m, ok := p.BudgetMessages[lang]; ok {
		return m
	}
	if base, _, ok := strings.Cut(lang, "-"); ok {
		if m, ok := p.BudgetMessages[base]; ok {
			return m
		}
	}
	return p.BudgetMessages["en"]
}

// Why a profile matched, as MatchReason reports it.
const (
	ByName     = "name"
	ByFamily   = "family"
	ByTemplate = "template"
	ByFallback = "fallback"
)

// Match picks the profile for a model from its name and what /api/show says
// about it (show may be nil). See MatchReason.
func Match(name string, show *api.ShowResponse, profiles []Profile) Profile {
	p, _ := MatchReason(name, show, profiles)
	return p
}

// MatchReason picks the profile for a model and says why (ByName, ByFamily,
// ByTemplate or ByFallback). The order is:
//
//  1. a profile whose Names match the model's name;
//  2. a profile whose Families hold the model's family or architecture;
//  3. the profile whose TemplateContains the template holds, all of them
//     (the one with most strings wins);
//  4. the generic profile.
//
// The template referees the first two steps: a name or family match counts
// there only when the profile's TemplateContains are all in the template (or
// the profile has none, or the model has no template). A name or family
// match that the template contradicts still counts, but only after step 3.
// So magistral:24b picks magistral or magistral-think by its tags, and
// deepseek-r1:8b (family qwen3) picks deepseek-r1.
//
// Profiles earlier in the list win ties. The returned profile is a copy;
// where its thinking tags are empty and the template's .Thinking is wrapped
// in tags (as Ollama's thinking.InferTags finds them), it carries those tags.
func MatchReason(name string, show *api.ShowResponse, profiles []Profile) (Profile, string) {
	if show == nil {
		show = &api.ShowResponse{}
	}
	tmpl := show.Template
	families := modelFamilies(show)
	confirmed := func(p Profile) bool {
		return tmpl == "" || len(p.Match.TemplateContains) == 0 || containsAll(tmpl, p.Match.TemplateContains)
	}

	var nameWeak, familyWeak *Profile
	for i := range profiles {
		p := &profiles[i]
		if !nameMatches(name, p.Match.Names) {
			continue
		}
		if confirmed(*p) {
			return finish(*p, tmpl, families), ByName
		}
		if nameWeak == nil {
			nameWeak = p
		}
	}
	for i := range profiles {
		p := &profiles[i]
		if !familyMatches(families, p.Match.Families) {
			continue
		}
		if confirmed(*p) {
			return finish(*p, tmpl, families), ByFamily
		}
		if familyWeak == nil {
			familyWeak = p
		}
	}
	if tmpl != "" {
		var best *Profile
		for i := range profiles {
			p := &profiles[i]
			n := len(p.Match.TemplateContains)
			if n == 0 || !containsAll(tmpl, p.Match.TemplateContains) {
				continue
			}
			if best == nil || n > len(best.Match.TemplateContains) {
				best = p
			}
		}
		if best != nil {
			return finish(*best, tmpl, families), ByTemplate
		}
	}
	if nameWeak != nil {
		return finish(*nameWeak, tmpl, families), ByName
	}
	if familyWeak != nil {
		return finish(*familyWeak, tmpl, families), ByFamily
	}
	for _, p := range profiles {
		if p.Name == GenericName {
			return finish(p, tmpl, families), ByFallback
		}
	}
	g := Builtins()
	return finish(g[len(g)-1], tmpl, families), ByFallback
}

// finish copies p and fills its thinking tags from the template where the
// profile has none and is not driven through the chat path.
func finish(p Profile, tmpl string, families []string) Profile {
	p = p.Clone()
	if p.ThinkOpen == "" && p.ThinkClose == "" && !p.Chat {
		p.ThinkOpen, p.ThinkClose, p.Chat = Infer(tmpl, families)
	}
	return p
}

// knownTags are the thinking tag pairs of common families, in the order
// Infer looks for them in a template's text.
var knownTags = [][2]string{
	{"<think>", "</think>"},
	{"[THINK]", "[/THINK]"},
	{"<thinking>", "</thinking>"},
	{"<seed:think>", "</seed:think>"},
	{"◁think▷", "◁/think▷"},
}

// harmonyMarkers mark gpt-oss (harmony) templates.
var harmonyMarkers = []string{"<|channel|>", "<|start|>assistant"}

// Infer is rein's one inference of how a model thinks, for a profile that
// does not say: the tags around .Thinking as Ollama finds them
// (InferTags); else the chat path for harmony (gpt-oss) models, whose
// format Ollama parses in Go; else the first known tag pair the template's
// text holds. families are the model's (family, families, architecture).
func Infer(tmpl string, families []string) (open, closing string, chat bool) {
	if o, c := InferTags(tmpl); o != "" {
		return o, c, false
	}
	for _, f := range families {
		if f := strings.ToLower(f); f == "gptoss" || f == "gpt-oss" {
			return "", "", true
		}
	}
	for _, m := range harmonyMarkers {
		if strings.Contains(tmpl, m) {
			return "", "", true
		}
	}
	for _, t := range knownTags {
		if strings.Contains(tmpl, t[0]) && strings.Contains(tmpl, t[1]) {
			return t[0], t[1], false
		}
	}
	return "", "", false
}

// InferTags returns the thinking tags of an Ollama chat template the way
// Ollama does (thinking.InferTags): the text around .Thinking inside the
// range over .Messages. Both are empty when the template has none or does
// not parse.
func InferTags(tmpl string) (open, closing string) {
	if tmpl == "" {
		return "", ""
	}
	t, err := template.Parse(tmpl)
	if err != nil {
		return "", ""
	}
	open, closing = thinking.InferTags(t.Template)
	if open == "" || closing == "" {
		return "", ""
	}
	return open, closing
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// modelFamilies are the lower-cased family names and architecture of a model.
func modelFamilies(show *api.ShowResponse) []string {
	var fs []string
	add := func(s string) {
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "" && !slices.Contains(fs, s) {
			fs = append(fs, s)
		}
	}
	add(show.Details.Family)
	for _, f := range show.Details.Families {
		add(f)
	}
	add(Architecture(show.ModelInfo))
	return fs
}

func familyMatches(have, want []string) bool {
	for _, w := range want {
		if slices.Contains(have, strings.ToLower(w)) {
			return true
		}
	}
	return false
}

func nameMatches(name string, patterns []string) bool {
	if name == "" || len(patterns) == 0 {
		return false
	}
	full := strings.ToLower(name)
	cands := []string{full}
	if i := strings.LastIndexByte(full, '/'); i >= 0 {
		cands = append(cands, full[i+1:])
	}
	for _, pat := range patterns {
		pat = strings.ToLower(pat)
		for _, c := range cands {
			if strings.ContainsAny(pat, "*?[") {
				if ok, _ := path.Match(pat, c); ok {
					return true
				}
				continue
			}
			if c == pat || strings.HasPrefix(c, pat+":") {
				return true
			}
		}
	}
	return false
}
