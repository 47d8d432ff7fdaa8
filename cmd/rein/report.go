package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rein-dev/rein/bench"
)

func init() { register(NewCmdReport) }

// ReportOptions are the flags of `rein report`.
type ReportOptions struct {
	IO *IOStreams

	Results   []string
	Out       string
	HTML      bool
	ByVariant bool
}

// NewCmdReport is `rein report`.
func NewCmdReport(f *Factory, runF func(*ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "report RESULTS.jsonl... -o DIR",
		Short: "Turn bench results into tables, benchmark lines and plots",
		Long: `Read one or more results files written by rein bench and write into DIR:
report.md and report.csv (one row per model and budget, and per server when
the results come from several --host: accuracy with a 95% interval, thinking
tokens and steps, cut and loop rates, speeds, time to first token and answer,
resume cost), the accuracy against mean thinking tokens (probes included) of
every budget kind (none, steps, think-tokens, think-time, agree, confidence)
as a table and on one chart, bench.txt (Go benchmark lines, so that
benchstat compares two results files), and the plots speed, accuracy and
lengths as PNG and SVG. --html adds report.html, one self-contained page.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Results = args
			return runOr(runF, opts, func() error { return reportRun(cmd.Context(), opts) })
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Out, "output", "o", "", "directory to write the report into (required)")
	fl.BoolVar(&opts.HTML, "html", false, "also write report.html with the tables and plots embedded")
	fl.BoolVar(&opts.ByVariant, "by-variant", false, "split each row by prompt variant (language)")
	return cmd
}

func reportRun(_ context.Context, opts *ReportOptions) error {
	if opts.Out == "" {
		return usageErrorf("report: -o DIR is required")
	}
	results, warnings, err := bench.LoadResults(opts.Results...)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(opts.IO.ErrOut, "rein: warning: "+w)
	}
	if len(results) == 0 {
		return fmt.Errorf("no runs in %v", opts.Results)
	}
	ro := bench.ReportOptions{HTML: opts.HTML, ByVariant: opts.ByVariant, Warnings: warnings}
	if err := bench.WriteReport(opts.Out, results, ro); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	names := []string{"report.md", "report.csv", "bench.txt"}
	for _, p := range []string{"speed", "accuracy", "lengths"} {
		names = append(names, p+".png", p+".svg")
	}
	if opts.HTML {
		names = append(names, "report.html")
	}
	for _, n := range names {
		fmt.Fprintln(opts.IO.Out, filepath.Join(opts.Out, n))
	}
	return nil
}
