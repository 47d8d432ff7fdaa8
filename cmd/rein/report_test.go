package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportCommand(t *testing.T) {
	fixture := filepath.Join("..", "..", "bench", "testdata", "results.jsonl")
	dir := filepath.Join(t.TempDir(), "out")
	var out, errOut bytes.Buffer
	ios := &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	root := newRootCmd(ios)
	root.SetArgs([]string{"report", fixture, "-o", dir, "--html"})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"report.md", "report.csv", "bench.txt", "speed.png", "speed.svg",
		"accuracy.png", "accuracy.svg", "lengths.png", "lengths.svg", "report.html"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !strings.Contains(out.String(), p+"\n") {
			t.Errorf("stdout does not list %s:\n%s", p, out.String())
		}
	}
	if !strings.Contains(errOut.String(), "rein: warning: "+fixture+": the last line is torn") {
		t.Errorf("stderr: %q", errOut.String())
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	if !strings.Contains(string(md), "| qwen3:0.6b | steps=4 | 4 | 67% (2/3) |") {
		t.Errorf("report.md:\n%s", md)
	}

	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"report", fixture}, exitUsage, "-o DIR is required"},
		{[]string{"report", "-o", dir}, exitUsage, "requires at least 1 arg"},
		{[]string{"report", filepath.Join(dir, "nope.jsonl"), "-o", dir}, exitError, "no such file"},
	} {
		var errOut bytes.Buffer
		root := newRootCmd(&IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &errOut})
		root.SetArgs(tt.args)
		err := root.ExecuteContext(context.Background())
		if err == nil {
			t.Errorf("%q: no error", tt.args)
			continue
		}
		if code := exitCode(context.Background(), &errOut, err); code != tt.code || !strings.Contains(errOut.String(), tt.msg) {
			t.Errorf("%q: exit %d, %q; want %d and %q", tt.args, code, errOut.String(), tt.code, tt.msg)
		}
		var ue usageError
		if tt.code == exitUsage && !errors.As(err, &ue) && !isCobraUsage(err) {
			t.Errorf("%q: not a usage error: %v", tt.args, err)
		}
	}
}
