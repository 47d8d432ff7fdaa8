package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/ollama/ollama/api"
	"github.com/rein-dev/rein/models/scripted"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newDevCmd) }

// newDevCmd is `rein dev`, a group: make-model and demo.
func newDevCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Developer tools: scripted models and the demo",
	}
	cmd.AddCommand(NewCmdMakeModel(f, nil), NewCmdDemo(f, nil))
	return cmd
}

// MakeModelOptions are the flags of `rein dev make-model`.
type MakeModelOptions struct {
	IO            *IOStreams
	Client        func() (*api.Client, error)
	Name          string
	Family        string
	Script        string
	Size          string
	Layers        int
	Dim           int
	FF            int
	Quant         string
	ContextLength int
	Continue      []string
	Output        string
}

// NewCmdMakeModel is `rein dev make-model`.
func NewCmdMakeModel(f *Factory, runF func(*MakeModelOptions) error) *cobra.Command {
	opts := &MakeModelOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "make-model NAME",
		Short: "Generate a scripted reasoning model (GGUF) and create it in Ollama",
		Long: `Generate a scripted reasoning model: a real GGUF whose weights make it a
deterministic bigram machine that follows a script, and create it in the
Ollama server at OLLAMA_HOST through the API.

The script is text with thinking tags, for example
  "<think>\nStep one.\n\nStep two.\n\n</think>\n\nThe answer."
A script whose thinking never closes loops forever (a runaway reasoner).
--script @FILE reads the script from a file.`,
		Example: `  rein dev make-model runaway --family qwen3 --script $'<think>\nHmm, let me re-read.\n\n'
  rein dev make-model big --size 0.6b --script @script.txt
  rein dev make-model m --continue 'Wait=>, let me check again.\n\n' --script @s.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runOr(runF, opts, func() error { return makeModelRun(cmd, opts) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Family, "family", "qwen3", "chat format: "+strings.Join(scripted.Families(), ", "))
	fl.StringVar(&opts.Script, "script", "", "the script (text with thinking tags), or @FILE")
	fl.StringVar(&opts.Size, "size", "tiny", "size preset: tiny, 0.6b or 4b (the per-token cost of a real 4-bit model)")
	fl.IntVar(&opts.Layers, "layers", 0, "number of layers (overrides the preset)")
	fl.IntVar(&opts.Dim, "dim", 0, "embedding length (overrides the preset; at least the vocabulary size)")
	fl.IntVar(&opts.FF, "ff", 0, "feed-forward length (overrides the preset)")
	fl.StringVar(&opts.Quant, "quant", "", "layer weight type: F32, Q8_0 or Q4_0 (overrides the preset)")
	fl.IntVar(&opts.ContextLength, "context", 32768, "training context length")
	fl.StringArrayVar(&opts.Continue, "continue", nil, "continuation 'TEXT=>THINKING': after TEXT at the end of a prompt, think THINKING (repeatable)")
	fl.StringVarP(&opts.Output, "output", "o", "", "write the GGUF to this file instead of creating the model")
	cmd.MarkFlagRequired("script")
	return cmd
}

func makeModelRun(cmd *cobra.Command, opts *MakeModelOptions) error {
	text := opts.Script
	if rest, ok := strings.CutPrefix(text, "@"); ok {
		b, err := os.ReadFile(rest)
		if err != nil {
			return fmt.Errorf("read script: %w", err)
		}
		text = string(b)
	}
	spec, err := scripted.MakeSpec(scripted.MakeOptions{Name: opts.Name, Family: opts.Family, Script: text, Size: opts.Size,
		Layers: opts.Layers, Dim: opts.Dim, FF: opts.FF, Quant: opts.Quant, ContextLength: opts.ContextLength, Continue: opts.Continue})
	if err != nil {
		return usageError{err}
	}
	m, err := scripted.Build(spec)
	if err != nil {
		return usageError{err}
	}
	if opts.Output != "" {
		f, err := os.Create(opts.Output)
		if err != nil {
			return err
		}
		if err := m.WriteGGUF(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "wrote %s (%d tokens, round-trips: %v)\n", opts.Output, m.VocabSize(), m.RoundTrips())
		return nil
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if err := scripted.Create(cmd.Context(), c, opts.Name, m, ""); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "created %s (%s family, %d tokens, round-trips: %v)\n", opts.Name, m.Family.Name, m.VocabSize(), m.RoundTrips())
	return nil
}

// unescapeNewlines lets flags spell newlines as \n.
func unescapeNewlines(s string) string { return strings.ReplaceAll(s, `\n`, "\n") }
