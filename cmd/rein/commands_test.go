package main

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/spf13/cobra"

	"github.com/rein-dev/rein/models"
)

// The factory of the flag tests: a client and profiles that are theirs,
// so that a test can tell them from the real ones, and a fixed clock.
var (
	flagClient   = api.NewClient(&url.URL{Scheme: "http", Host: "flag-test.invalid:1"}, nil)
	flagProfiles = []models.Profile{{Name: "flag-test"}}
	flagNow      = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

func flagFactory(stdin string, terminal bool) *Factory {
	ios, _, _ := testStreams(stdin)
	ios.InIsTerminal = terminal
	return &Factory{
		IOStreams: ios,
		Client:    func() (*api.Client, error) { return flagClient, nil },
		Profiles:  func() ([]models.Profile, string, error) { return flagProfiles, "flag-test.yaml", nil },
		Now:       func() time.Time { return flagNow },
	}
}

// capture builds a command with a runF that keeps its options.
func capture[O any](newCmd func(*Factory, func(*O) error) *cobra.Command) func(*Factory, *any) *cobra.Command {
	return func(f *Factory, got *any) *cobra.Command {
		return newCmd(f, func(o *O) error { *got = o; return nil })
	}
}

// TestCommandFlags: every command parses its flags and arguments into its
// options and wires the factory's client, profiles and clock in, without
// a server: runF gets the options instead of the command's run.
func TestCommandFlags(t *testing.T) {
	tests := []struct {
		name     string
		cmd      func(*Factory, *any) *cobra.Command
		args     []string
		stdin    string
		terminal bool
		want     map[string]string // field path -> value
		err      string            // an error before any run
		code     int               // its exit code: exitUsage unless set
	}{
		{name: "version", cmd: capture(NewCmdVersion), want: map[string]string{"Client": "factory"}},
		{name: "ps", cmd: capture(NewCmdPs), args: []string{"--json"},
			want: map[string]string{"JSON": "true", "Client": "factory", "Now": "factory"}},
		{name: "models", cmd: capture(NewCmdModels), args: []string{"--json"},
			want: map[string]string{"JSON": "true", "Client": "factory", "Profiles": "factory"}},
		{name: "show", cmd: capture(NewCmdShow), args: []string{"qwen3:4b", "--template"},
			want: map[string]string{"Model": "qwen3:4b", "Template": "true", "JSON": "false", "Profiles": "factory"}},
		{name: "show needs a model", cmd: capture(NewCmdShow), err: "accepts 1 arg(s), received 0"},
		{name: "pull", cmd: capture(NewCmdPull), args: []string{"a:1", "b:2", "--insecure", "-q"},
			want: map[string]string{"Models": "[a:1 b:2]", "Insecure": "true", "Quiet": "true", "JSON": "false", "Client": "factory"}},
		{name: "report", cmd: capture(NewCmdReport), args: []string{"r1.jsonl", "r2.jsonl", "-o", "out", "--html", "--by-variant"},
			want: map[string]string{"Results": "[r1.jsonl r2.jsonl]", "Out": "out", "HTML": "true", "ByVariant": "true"}},
		{name: "profiles", cmd: capture(NewCmdProfiles), args: []string{"--json"},
			want: map[string]string{"JSON": "true", "Profiles": "factory"}},
		{name: "make-model", cmd: capture(NewCmdMakeModel), args: []string{"m", "--script", "<think>a", "--size", "0.6b", "--continue", "Wait=>b"},
			want: map[string]string{"Name": "m", "Script": "<think>a", "Size": "0.6b", "Family": "qwen3", "Continue": "[Wait=>b]", "Client": "factory"}},
		{name: "make-model needs a script", cmd: capture(NewCmdMakeModel), args: []string{"m"}, err: `required flag(s) "script" not set`, code: exitError},
		{name: "demo", cmd: capture(NewCmdDemo), args: []string{"--max-steps", "2"}, want: map[string]string{"MaxSteps": "2"}},
		{name: "run", cmd: capture(NewCmdRun), args: []string{"m", "What is 2+2?", "--json", "--hook", "h --x", "--consensus", "en,zh", "--parallel", "2"},
			want: map[string]string{"Model": "m", "Prompt": "What is 2+2?", "PromptSet": "true", "JSON": "true", "Hooks": "[h --x]",
				"Consensus": "[en zh]", "Parallel": "2", "Think": "true", "Client": "factory", "Profiles": "factory", "Now": "factory"}},
		{name: "run, prompt on stdin", cmd: capture(NewCmdRun), args: []string{"m"}, stdin: "from stdin\n",
			want: map[string]string{"Prompt": "from stdin", "PromptSet": "true"}},
		{name: "run, prompt -", cmd: capture(NewCmdRun), args: []string{"m", "-"}, stdin: "dash\n\n", terminal: true,
			want: map[string]string{"Prompt": "dash", "PromptSet": "true"}},
		{name: "chat: no prompt on a terminal", cmd: capture(NewCmdRun), args: []string{"m", "--think", "off"}, terminal: true,
			want: map[string]string{"Model": "m", "Prompt": "", "PromptSet": "false", "Think": "off"}},
		{name: "run, empty stdin", cmd: capture(NewCmdRun), args: []string{"m"}, stdin: "  \n", err: "empty prompt on stdin"},
		{name: "run needs a model", cmd: capture(NewCmdRun), err: "accepts between 1 and 2 arg(s), received 0"},
		{name: "bench", cmd: capture(NewCmdBench), args: []string{"--suite", "demo", "--models", "a,b", "--repeats", "2", "--host", "h1", "--host", "h2", "-o", "r.jsonl"},
			want: map[string]string{"Suite": "demo", "Models": "[a b]", "Repeats": "2", "Hosts": "[h1 h2]", "Out": "r.jsonl",
				"Parallel": "1", "Profiles": "factory", "Now": "factory"}},
		{name: "bench takes no arguments", cmd: capture(NewCmdBench), args: []string{"x"}, err: `unknown command "x" for "bench"`},
		{name: "proxy", cmd: capture(NewCmdProxy), args: []string{"--listen", "127.0.0.1:0", "--upstream", "up:1", "--log", "p.jsonl", "--verbose"},
			want: map[string]string{"Listen": "127.0.0.1:0", "Upstream": "up:1", "Log": "p.jsonl", "Verbose": "true", "AllowRemote": "false", "Profiles": "factory"}},
		{name: "proxy's default listen", cmd: capture(NewCmdProxy), want: map[string]string{"Listen": DefaultProxyListen}},
		{name: "an unknown flag", cmd: capture(NewCmdPs), args: []string{"--jsn"}, err: "unknown flag: --jsn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got any
			cmd := tt.cmd(flagFactory(tt.stdin, tt.terminal), &got)
			cmd.SetArgs(tt.args)
			cmd.SetOut(&strings.Builder{})
			cmd.SetErr(&strings.Builder{})
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			err := cmd.Execute()
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				want := cmp.Or(tt.code, exitUsage)
				if code := exitCode(t.Context(), &strings.Builder{}, err); code != want {
					t.Errorf("exit %d, want %d", code, want)
				}
				if got != nil {
					t.Error("runF ran after a usage error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("runF was not called")
			}
			for path, want := range tt.want {
				if v := optionField(t, got, path); v != want {
					t.Errorf("%s = %q, want %q", path, v, want)
				}
			}
		})
	}
}

// optionField formats a field of the options a runF got; the factory's
// functions read "factory" where they return the factory's values.
func optionField(t *testing.T, opts any, path string) string {
	t.Helper()
	v := reflect.ValueOf(opts)
	for _, name := range strings.Split(path, ".") {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return "nil"
			}
			v = v.Elem()
		}
		v = v.FieldByName(name)
		if !v.IsValid() {
			t.Fatalf("options %T have no field %s", opts, path)
		}
	}
	switch fn := v.Interface().(type) {
	case func() (*api.Client, error):
		if c, err := fn(); err == nil && c == flagClient {
			return "factory"
		}
		return "other"
	case func() ([]models.Profile, string, error):
		if ps, _, err := fn(); err == nil && len(ps) == 1 && ps[0].Name == "flag-test" {
			return "factory"
		}
		return "other"
	case func() time.Time:
		if fn().Equal(flagNow) {
			return "factory"
		}
		return "other"
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "nil"
		}
		v = v.Elem()
	}
	return fmt.Sprint(v.Interface())
}

// TestRootHasEveryCommand: the commands the flag tests cover are rein's.
func TestRootHasEveryCommand(t *testing.T) {
	root := newRoot(flagFactory("", false))
	var names []string
	for _, c := range root.Commands() {
		names = append(names, c.Name())
		for _, sub := range c.Commands() {
			names = append(names, c.Name()+" "+sub.Name())
		}
	}
	for _, want := range []string{"run", "bench", "report", "proxy", "pull", "models", "ps", "show", "profiles", "version", "dev", "dev make-model", "dev demo"} {
		if !slices.Contains(names, want) {
			t.Errorf("rein has no command %q (has %v)", want, names)
		}
	}
}

// TestCommandUsage: a command line every command refuses is a usage error
// (exit 2, one line that names the flag), said before any server is asked
// (the factory's client points nowhere that answers) and before the
// profiles are read.
func TestCommandUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", "m", "hi", "--max-steps", "-2", "--no-log"}, "--max-steps"},
		{[]string{"run", "m", "hi", "--option", "temprature=0.6", "--no-log"}, `unknown Ollama option "temprature"`},
		{[]string{"run", "m", "hi", "--on-limit", "later", "--no-log"}, "--on-limit"},
		{[]string{"run", "m", "hi", "--think", "maybe", "--no-log"}, "--think"},
		{[]string{"run", "m", "hi", "--reason-in", "xx", "--no-log"}, "--reason-in"},
		{[]string{"run", "m", "hi", "--on-language-switch", "loud", "--no-log"}, "--on-language-switch"},
		{[]string{"run", "m", "hi", "--hook", "sh -c 'x", "--no-log"}, "--hook"},
		{[]string{"bench"}, "--suite is required"},
		{[]string{"bench", "--suite", "demo", "--repeats", "0"}, "--repeats must be 1 or more"},
		{[]string{"bench", "--suite", "demo", "--budgets", "steps=x"}, "--budgets"},
		{[]string{"bench", "--suite", "demo", "--reason-in", "xx"}, "--reason-in"},
		{[]string{"bench", "--suite", "demo", "--models", "a,a"}, "--models: a given twice"},
		{[]string{"proxy", "--on-limit", "later"}, "--on-limit"},
		{[]string{"proxy", "--upstream", "ftp://x"}, "--upstream"},
		{[]string{"proxy", "--listen", "0.0.0.0:0"}, "--allow-remote"},
		{[]string{"proxy", "--listen", "11435"}, "want host:port"},
		{[]string{"show"}, "accepts 1 arg(s), received 0"},
		{[]string{"pull"}, "requires at least 1 arg(s)"},
		{[]string{"report", "r.jsonl"}, "-o"},
		{[]string{"dev", "make-model", "m", "--script", "<think>a", "--size", "huge"}, `unknown --size "huge"`},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f := flagFactory("", false)
			f.Profiles = func() ([]models.Profile, string, error) {
				t.Error("the profiles were read")
				return nil, "", errors.New("no profiles here")
			}
			root := newRoot(f)
			root.SetArgs(tt.args)
			err := root.ExecuteContext(t.Context())
			var errOut strings.Builder
			code := exitCode(t.Context(), &errOut, err)
			if code != exitUsage || !strings.Contains(errOut.String(), tt.want) || strings.Count(strings.TrimSpace(errOut.String()), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", code, errOut.String(), exitUsage, tt.want)
			}
		})
	}
}
