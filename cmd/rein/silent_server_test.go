package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/models"
)

// A server that accepts connections and never answers hung rein run, rein
// models and rein version forever (issue 18). Each now ends at the
// describe limit with one line that names the server and says what to do.
func TestCommandsSilentServer(t *testing.T) {
	silent := ollamatest.SilentServer(t)
	host := silent.Host
	t.Setenv("OLLAMA_HOST", host)
	t.Setenv(models.EnvDescribeTimeout, "300ms")
	for _, args := range [][]string{
		{"version"},
		{"models"},
		{"run", "some-model", "What is 2+2?", "--no-log"},
	} {
		t.Run(args[0], func(t *testing.T) {
			ios, _, errOut := testStreams("")
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			root := newRootCmd(ios)
			root.SetArgs(args)
			start := time.Now()
			code := exitCode(ctx, errOut, root.ExecuteContext(ctx))
			took := time.Since(start)
			if ctx.Err() != nil {
				t.Fatalf("rein %s hung until the test's deadline", args[0])
			}
			msg := strings.TrimSpace(errOut.String())
			if code != exitError || strings.Count(msg, "\n") != 0 || !strings.HasPrefix(msg, "rein: ") {
				t.Errorf("exit %d, stderr %q: want exit %d and one line", code, msg, exitError)
			}
			for _, want := range []string{host, models.EnvDescribeTimeout} {
				if !strings.Contains(msg, want) {
					t.Errorf("stderr %q does not name %s", msg, want)
				}
			}
			if took > 5*time.Second {
				t.Errorf("took %v, want about the describe limit", took)
			}
		})
	}
}
