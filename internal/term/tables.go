package term

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ollama/ollama/format"

	"github.com/rein-dev/rein/consensus"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/runner"
)

// WriteDescription writes `rein show`: the profile, tags, capabilities,
// figures and the first templateLines lines of the template (all of it
// with wholeTemplate).
func WriteDescription(w io.Writer, d *models.Description, wholeTemplate bool, templateLines int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := d.Profile
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("model", d.Name)
	row("profile", fmt.Sprintf("%s (matched by %s; %s)", p.Name, d.MatchedBy, p.Source))
	tags := "none"
	if d.ThinkOpen != "" {
		tags = d.ThinkOpen + " … " + d.ThinkClose
	} else if p.Chat {
		tags = "none in text: thinking goes through Ollama's chat parser"
	}
	if d.TemplateOpen != "" && (d.TemplateOpen != d.ThinkOpen || d.TemplateClose != d.ThinkClose) {
		tags += fmt.Sprintf(" (the template wraps thinking in %s … %s)", d.TemplateOpen, d.TemplateClose)
	}
	row("thinking tags", tags)
	row("capabilities", orDash(strings.Join(d.Capabilities, ", ")))
	row("architecture", orDash(d.Architecture))
	row("parameters", orDash(d.Parameters))
	row("quantization", orDash(d.Quantization))
	row("layers", intOrDash(d.Layers))
	row("embedding", intOrDash(d.EmbeddingLength))
	row("context", intOrDash(d.ContextLength)+" (training)")
	if d.KVBytesPerToken > 0 {
		row("KV cache", fmt.Sprintf("%d bytes per token of context (F16)", d.KVBytesPerToken))
		for _, c := range d.ContextCosts {
			v := fmt.Sprintf("context %d, KV cache ≈ %s", c.NumCtx, format.HumanBytes(c.KVCacheBytes))
			if c.Capped {
				v += " (the training context: the thinking is cut where it ends)"
			}
			row(fmt.Sprintf("think %dk", c.ThinkTokens/1024), v)
		}
	} else {
		row("KV cache", "unknown (the model's metadata does not tell)")
	}
	if d.ExpertCount > 0 {
		row("experts", fmt.Sprintf("%d, %d used per token", d.ExpertCount, d.ExpertUsed))
	}
	row("sampling", orDash(formatOptions(p.Options)))
	row("think off", thinkOffText(p))
	if len(p.ThinkLevels) > 0 {
		row("think levels", strings.Join(p.ThinkLevels, ", "))
	}
	row("step split", orDash(p.StepSplit))
	row("budget messages", orDash(strings.Join(slices.Sorted(maps.Keys(p.BudgetMessages)), ", ")))
	if p.System != "" {
		row("system prompt", Clip(p.System, 60)+fmt.Sprintf(" (%d chars, the profile's)", len([]rune(p.System))))
	}
	if d.System != "" {
		row("model's system", Clip(d.System, 60)+fmt.Sprintf(" (%d chars)", len([]rune(d.System))))
	}
	if d.Renderer != "" || d.Parser != "" {
		row("renderer/parser", orDash(d.Renderer)+" / "+orDash(d.Parser))
	}
	tw.Flush()

	tmpl := strings.TrimRight(d.Template, "\n")
	if tmpl == "" {
		fmt.Fprintln(w, "template: none")
		return
	}
	lines := strings.Split(tmpl, "\n")
	if wholeTemplate || len(lines) <= templateLines {
		fmt.Fprintf(w, "template (%d lines):\n", len(lines))
	} else {
		fmt.Fprintf(w, "template (%d of %d lines; --template prints it whole):\n", templateLines, len(lines))
		lines = lines[:templateLines]
	}
	for _, l := range lines {
		fmt.Fprintln(w, "    "+l)
	}
}

func thinkOffText(p models.Profile) string {
	switch p.ThinkOff.How {
	case models.ThinkOffFlag:
		return "flag (think: false)"
	case models.ThinkOffPromptSuffix:
		s := fmt.Sprintf("prompt suffix %q", p.ThinkOff.Suffix)
		if p.ThinkOff.OnSuffix != "" {
			s += fmt.Sprintf(" (on: %q)", p.ThinkOff.OnSuffix)
		}
		return s
	}
	if len(p.ThinkLevels) > 0 {
		return "cannot: use the lowest level"
	}
	return "cannot"
}

// formatOptions prints options as sorted key=value pairs.
func formatOptions(o map[string]any) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(o)) {
		parts = append(parts, fmt.Sprintf("%s=%v", k, o[k]))
	}
	return strings.Join(parts, " ")
}

// Clip returns the first line of s, cut to n runes.
func Clip(s string, n int) string {
	first, _, more := strings.Cut(strings.TrimSpace(s), "\n")
	r := []rune(first)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	if more {
		return first + " …"
	}
	return first
}

// WriteModels writes `rein models`'s table.
func WriteModels(w io.Writer, list []models.Summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSIZE\tPARAMETERS\tQUANTIZATION\tFAMILY\tTHINKING\tCONTEXT\tPROFILE")
	for _, m := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Name, format.HumanBytes(m.Size),
			orDash(m.Parameters), orDash(m.Quantization), orDash(m.Family), yesNo(m.Thinking),
			intOrDash(m.ContextLength), m.Profile)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func intOrDash(n int64) string {
	if n <= 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// WritePs writes `rein ps`'s table; now is the clock the UNTIL column
// counts from.
func WritePs(w io.Writer, loaded []models.Loaded, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSIZE\tVRAM\tPROCESSOR\tCONTEXT\tUNTIL")
	for _, m := range loaded {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Name, format.HumanBytes(m.Size), format.HumanBytes(m.SizeVRAM),
			m.Processor, strconv.Itoa(m.ContextLength), Until(m.ExpiresAt, now))
	}
	return tw.Flush()
}

// Until says when a model unloads, as ollama ps does.
func Until(expires, now time.Time) string {
	switch {
	case expires.IsZero():
		return "Never"
	case !expires.After(now):
		return "Stopping..."
	case expires.Year() > now.Year()+100:
		return "Forever"
	}
	return format.HumanTime(expires, "Never")
}

// WriteProfiles writes `rein profiles`'s table.
func WriteProfiles(w io.Writer, profiles []models.Profile) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTAGS\tMATCH\tSOURCE")
	for _, p := range profiles {
		tags := "-"
		switch {
		case p.ThinkOpen != "":
			tags = p.ThinkOpen + " " + p.ThinkClose
		case p.Chat:
			tags = "(chat parser)"
		case p.Name == models.GenericName:
			tags = "(from template)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, tags, matchText(p), p.Source)
	}
	return tw.Flush()
}

func matchText(p models.Profile) string {
	m := p.Match
	var parts []string
	if len(m.Names) > 0 {
		parts = append(parts, "names "+strings.Join(m.Names, ","))
	}
	if len(m.Families) > 0 {
		parts = append(parts, "families "+strings.Join(m.Families, ","))
	}
	if len(m.TemplateContains) > 0 {
		parts = append(parts, "template "+strings.Join(m.TemplateContains, " + "))
	}
	if len(parts) == 0 {
		if p.Name == models.GenericName {
			return "(fallback)"
		}
		return "(no rules: never matched)"
	}
	return strings.Join(parts, "; ")
}

// PrintVotes prints the vote table of a consensus run.
func PrintVotes(w io.Writer, chains []consensus.Chain, rec *runner.Record) {
	c := rec.Consensus
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "chain\treason-in\tthought in\tmodel\tseed\tanswer\tvotes\t")
	for i, ch := range c.Chains {
		lang := cmp.Or(c.ReasonIn[i], "-")
		seed := "-"
		if chains[i].Seed != nil {
			seed = fmt.Sprint(*chains[i].Seed)
		}
		key, votes, note := c.Keys[i], "", ""
		if key == "" {
			key = "-"
		} else {
			votes = fmt.Sprint(c.Votes[key])
		}
		switch {
		case ch.Error != "":
			note = "failed: " + Shorten(ch.Error, 50)
		case i == c.Winner && c.Answer != "":
			note = "← winner"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, lang, cmp.Or(ch.Languages.Thinking, "-"),
			ch.Model, seed, Shorten(key, 40), votes, note)
	}
	tw.Flush()
	voters := 0
	for _, n := range c.Votes {
		voters += n
	}
	wall := time.Duration(c.WallMS * float64(time.Millisecond)).Round(time.Millisecond)
	if c.Answer == "" {
		fmt.Fprintf(w, "consensus: no answer from %d chain(s), in %s\n", len(c.Chains), wall)
		return
	}
	fmt.Fprintf(w, "consensus: %s, %d of %d vote(s), chain %d, in %s\n", c.Answer, c.Votes[c.Answer], voters, c.Winner+1, wall)
}

// Shorten shortens text to one line of at most n runes.
func Shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
