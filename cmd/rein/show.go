package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/format"
	"github.com/rein-dev/rein/models"
	"github.com/spf13/cobra"
)

func init() { register(NewCmdShow) }

// ShowOptions are the flags of `rein show`.
type ShowOptions struct {
	IO       *IOStreams
	Client   func() (*api.Client, error)
	Profiles func() ([]models.Profile, string, error)
	Model    string
	Template bool
	JSON     bool
}

// showTemplateLines is how much of the template `rein show` prints without
// --template.
const showTemplateLines = 12

// NewCmdShow is `rein show`.
func NewCmdShow(f *Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams, Client: f.Client, Profiles: f.Profiles}
	cmd := &cobra.Command{
		Use:   "show MODEL",
		Short: "Show the profile, thinking tags, capabilities, template and figures of a model",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Model = args[0]
			return runOr(runF, opts, func() error { return showRun(cmd.Context(), opts) })
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Template, "template", false, "print the whole template")
	fl.BoolVar(&opts.JSON, "json", false, "write the description as JSON")
	return cmd
}

func showRun(ctx context.Context, opts *ShowOptions) error {
	profiles, _, err := opts.Profiles()
	if err != nil {
		return err
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	d, err := models.Describe(ctx, c, opts.Model, profiles)
	if err != nil {
		var se api.StatusError
		if errors.As(err, &se) && se.StatusCode == 404 {
			return fmt.Errorf("%w: %w", modelNotFoundError{Name: opts.Model}, se)
		}
		return err
	}
	if opts.JSON {
		return writeJSON(opts.IO.Out, d)
	}
	writeDescription(opts.IO.Out, d, opts.Template)
	return nil
}

func writeDescription(w io.Writer, d *models.Description, wholeTemplate bool) {
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
		row("system prompt", clip(p.System, 60)+fmt.Sprintf(" (%d chars, the profile's)", len([]rune(p.System))))
	}
	if d.System != "" {
		row("model's system", clip(d.System, 60)+fmt.Sprintf(" (%d chars)", len([]rune(d.System))))
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
	if wholeTemplate || len(lines) <= showTemplateLines {
		fmt.Fprintf(w, "template (%d lines):\n", len(lines))
	} else {
		fmt.Fprintf(w, "template (%d of %d lines; --template prints it whole):\n", showTemplateLines, len(lines))
		lines = lines[:showTemplateLines]
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

// clip returns the first line of s, cut to n runes.
func clip(s string, n int) string {
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
