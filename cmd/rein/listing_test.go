package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/format"

	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/models/scripted"
)

// The scripted models of the listing tests.
var lapModels = []struct {
	name    string
	spec    scripted.Spec
	profile string
}{
	{"lap/qwen3", scripted.Spec{Family: "qwen3", Script: scripted.Script{Thinking: "\nLaptops list models.\n\n", Answer: "\n\nListed."}}, "qwen3"},
	{"lap/think", scripted.Spec{Family: "magistral-think", Script: scripted.Script{Thinking: "Montrer le modèle.\n\n", Answer: "Montré."}}, "magistral-think"},
	{"lap/plain", scripted.Spec{Family: "plain", Script: scripted.Script{Answer: "No thinking here."}}, models.GenericName},
}

var (
	lapOnce sync.Once
	lapErr  error
)

func needLapModels(t *testing.T) *ollamatest.Server {
	t.Helper()
	s := ollamatest.Need(t, srv)
	lapOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		for _, lm := range lapModels {
			m, err := scripted.Build(lm.spec)
			if err != nil {
				lapErr = err
				return
			}
			if lapErr = scripted.Create(ctx, s.Client, lm.name, m, ""); lapErr != nil {
				return
			}
		}
	})
	if lapErr != nil {
		t.Fatal(lapErr)
	}
	return s
}

func builtinProfiles() ([]models.Profile, string, error) { return models.Builtins(), "", nil }

// parseTable splits a tabwriter table into rows of cells by the header's
// column positions (cells may hold spaces).
func parseTable(t *testing.T, out string) (header []string, rows []map[string]string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 {
		t.Fatal("no table")
	}
	var starts []int
	for _, m := range regexp.MustCompile(`\S+`).FindAllStringIndex(lines[0], -1) {
		starts = append(starts, m[0])
		header = append(header, lines[0][m[0]:m[1]])
	}
	for _, l := range lines[1:] {
		row := map[string]string{}
		r := []rune(l)
		for i, h := range header {
			end := len(r)
			if i+1 < len(starts) {
				end = min(starts[i+1], len(r))
			}
			if starts[i] > len(r) {
				t.Fatalf("short row %q", l)
			}
			row[h] = strings.TrimSpace(string(r[starts[i]:end]))
		}
		rows = append(rows, row)
	}
	return header, rows
}

func findRow(rows []map[string]string, name string) map[string]string {
	for _, r := range rows {
		if r["NAME"] == name {
			return r
		}
	}
	return nil
}

func TestModelsCommand(t *testing.T) {
	s := needLapModels(t)
	lr, err := s.Client.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	for _, m := range lr.Models {
		sizes[m.Name] = m.Size
	}

	t.Run("json", func(t *testing.T) {
		ios, out, _ := testStreams("")
		if err := modelsRun(context.Background(), &ModelsOptions{IO: ios, Client: clientFor(s), Profiles: builtinProfiles, JSON: true}); err != nil {
			t.Fatal(err)
		}
		var got []map[string]any
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		wantKeys := []string{"context_length", "family", "name", "parameters", "profile", "quantization", "size", "thinking"}
		for _, m := range got {
			var keys []string
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, wantKeys) {
				t.Errorf("keys %v, want exactly %v", keys, wantKeys)
			}
		}
		for _, lm := range lapModels {
			name := lm.name + ":latest"
			i := slices.IndexFunc(got, func(m map[string]any) bool { return m["name"] == name })
			if i < 0 {
				t.Errorf("%s not listed", name)
				continue
			}
			m := got[i]
			if m["profile"] != lm.profile || m["thinking"] != (lm.spec.Family != "plain") || m["context_length"] != 32768.0 ||
				m["family"] != "llama" || m["size"] != float64(sizes[name]) || m["parameters"] == "" || m["quantization"] == "" {
				t.Errorf("%s = %v", name, m)
			}
		}
	})

	t.Run("table", func(t *testing.T) {
		ios, out, _ := testStreams("")
		if err := modelsRun(context.Background(), &ModelsOptions{IO: ios, Client: clientFor(s), Profiles: builtinProfiles}); err != nil {
			t.Fatal(err)
		}
		header, rows := parseTable(t, out.String())
		if want := "NAME SIZE PARAMETERS QUANTIZATION FAMILY THINKING CONTEXT PROFILE"; strings.Join(header, " ") != want {
			t.Errorf("header %v, want %s", header, want)
		}
		if len(rows) != len(lr.Models) {
			t.Errorf("%d rows for %d models", len(rows), len(lr.Models))
		}
		for _, lm := range lapModels {
			name := lm.name + ":latest"
			r := findRow(rows, name)
			if r == nil {
				t.Errorf("no row for %s in\n%s", name, out)
				continue
			}
			thinking := "no"
			if lm.spec.Family != "plain" {
				thinking = "yes"
			}
			if r["PROFILE"] != lm.profile || r["THINKING"] != thinking || r["CONTEXT"] != "32768" ||
				r["FAMILY"] != "llama" || r["SIZE"] != format.HumanBytes(sizes[name]) || r["PARAMETERS"] == "-" {
				t.Errorf("%s row %v", name, r)
			}
		}
	})

	// The alias and the user's profile file, through the command line.
	t.Run("ls with a profile file", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv("REIN_CONFIG_DIR", dir)
		t.Setenv("OLLAMA_HOST", s.Host)
		os.WriteFile(filepath.Join(dir, "profiles.yaml"), []byte("profiles:\n  - name: lap-house\n    match:\n      names: [\"lap/*\"]\n"), 0o644)
		var out, errOut bytes.Buffer
		root := newRootCmd(&IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
		root.SetArgs([]string{"ls", "--json"})
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		var got []models.Summary
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		for _, lm := range lapModels {
			i := slices.IndexFunc(got, func(m models.Summary) bool { return m.Name == lm.name+":latest" })
			if i < 0 || got[i].Profile != "lap-house" {
				t.Errorf("%s: want the user's profile lap-house (%v)", lm.name, got)
			}
		}
	})
}

func TestPsCommand(t *testing.T) {
	s := needLapModels(t)
	const name = "lap/qwen3:latest"
	stream := false
	err := s.Client.Generate(context.Background(), &api.GenerateRequest{Model: name, Prompt: "hi", Stream: &stream, Think: &api.ThinkValue{Value: false}, KeepAlive: &api.Duration{Duration: 10 * time.Minute}, Options: map[string]any{"num_predict": 4, "num_ctx": 4096}}, func(api.GenerateResponse) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	pr, err := s.Client.ListRunning(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var raw *api.ProcessModelResponse
	for i := range pr.Models {
		if pr.Models[i].Name == name {
			raw = &pr.Models[i]
		}
	}
	if raw == nil {
		t.Fatalf("%s not loaded: %+v", name, pr.Models)
	}
	_, _, proc := models.Split(raw.Size, raw.SizeVRAM)

	t.Run("json", func(t *testing.T) {
		ios, out, _ := testStreams("")
		if err := psRun(context.Background(), &PsOptions{IO: ios, Client: clientFor(s), JSON: true}); err != nil {
			t.Fatal(err)
		}
		var got []map[string]any
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		i := slices.IndexFunc(got, func(m map[string]any) bool { return m["name"] == name })
		if i < 0 {
			t.Fatalf("%s not in %s", name, out)
		}
		m := got[i]
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := []string{"context_length", "cpu_percent", "expires_at", "gpu_percent", "name", "processor", "size", "size_vram"}; !slices.Equal(keys, want) {
			t.Errorf("keys %v, want %v", keys, want)
		}
		expires, _ := time.Parse(time.RFC3339Nano, m["expires_at"].(string))
		if m["size"] != float64(raw.Size) || m["size_vram"] != float64(raw.SizeVRAM) || m["processor"] != proc ||
			m["gpu_percent"].(float64)+m["cpu_percent"].(float64) != 100 || m["context_length"] != 4096.0 ||
			!expires.After(time.Now().Add(8*time.Minute)) {
			t.Errorf("%s = %v; ps says %+v", name, m, *raw)
		}
	})

	t.Run("table", func(t *testing.T) {
		ios, out, _ := testStreams("")
		if err := psRun(context.Background(), &PsOptions{IO: ios, Client: clientFor(s)}); err != nil {
			t.Fatal(err)
		}
		header, rows := parseTable(t, out.String())
		if want := "NAME SIZE VRAM PROCESSOR CONTEXT UNTIL"; strings.Join(header, " ") != want {
			t.Errorf("header %v, want %s", header, want)
		}
		r := findRow(rows, name)
		if r == nil {
			t.Fatalf("no row for %s in\n%s", name, out)
		}
		if r["SIZE"] != format.HumanBytes(raw.Size) || r["VRAM"] != format.HumanBytes(raw.SizeVRAM) || r["PROCESSOR"] != proc ||
			r["CONTEXT"] != "4096" || !strings.HasSuffix(r["UNTIL"], "from now") {
			t.Errorf("row %v; ps says %+v", r, *raw)
		}
	})
}

// showVolatile are the figures of a scripted model that follow its
// vocabulary (the generator's business, not show's).
var showVolatile = regexp.MustCompile(`(?m)^(parameters|embedding)( +)\S+$`)

// kvVolatile are the KV cache figures, which follow the embedding.
var kvVolatile = regexp.MustCompile(`\d+ bytes per token|≈ [\d.]+ [kKMG]?B`)

func TestShowGolden(t *testing.T) {
	s := needLapModels(t)
	ios, out, _ := testStreams("")
	if err := showRun(context.Background(), &ShowOptions{IO: ios, Client: clientFor(s), Profiles: builtinProfiles, Model: "lap/think"}); err != nil {
		t.Fatal(err)
	}
	got := showVolatile.ReplaceAllString(out.String(), "$1$2<N>")
	got = kvVolatile.ReplaceAllString(got, "<N>")
	checkGolden(t, "show_magistral_think.golden", got)
}

func TestShowCommand(t *testing.T) {
	s := needLapModels(t)
	qwen3, _ := scripted.LookupFamily("qwen3")
	tmplLines := strings.Split(strings.TrimRight(qwen3.Template, "\n"), "\n")
	if len(tmplLines) <= showTemplateLines {
		t.Fatalf("the qwen3 template has %d lines; this test wants more than %d", len(tmplLines), showTemplateLines)
	}
	tests := []struct {
		name      string
		opts      ShowOptions
		want      []string
		tmplLines int // template lines printed
	}{
		{"clipped template", ShowOptions{Model: "lap/qwen3"},
			[]string{"profile          qwen3 (matched by name; built-in)\n", "thinking tags    <think> … </think>\n",
				"think off        prompt suffix \"/no_think\" (on: \"/think\")\n",
				"template (12 of " + strconv.Itoa(len(tmplLines)) + " lines; --template prints it whole):\n"},
			showTemplateLines},
		{"whole template", ShowOptions{Model: "lap/qwen3", Template: true},
			[]string{"template (" + strconv.Itoa(len(tmplLines)) + " lines):\n" + "    " + strings.Join(tmplLines, "\n    ") + "\n"},
			len(tmplLines)},
		{"generic, no thinking", ShowOptions{Model: "lap/plain"},
			[]string{"profile          generic (matched by fallback; built-in)\n", "thinking tags    none\n", "capabilities     completion\n"},
			-1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, out, _ := testStreams("")
			opts := tt.opts
			opts.IO, opts.Client, opts.Profiles = ios, clientFor(s), builtinProfiles
			if err := showRun(context.Background(), &opts); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("no %q in\n%s", w, out)
				}
			}
			if tt.tmplLines >= 0 {
				_, tmpl, _ := strings.Cut(out.String(), "\ntemplate (")
				if n := strings.Count(tmpl, "\n    "); n != tt.tmplLines {
					t.Errorf("%d template lines printed, want %d", n, tt.tmplLines)
				}
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		ios, out, _ := testStreams("")
		if err := showRun(context.Background(), &ShowOptions{IO: ios, Client: clientFor(s), Profiles: builtinProfiles, Model: "lap/think", JSON: true}); err != nil {
			t.Fatal(err)
		}
		var d models.Description
		if err := json.Unmarshal(out.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		if d.Profile.Name != "magistral-think" || d.ThinkOpen != "[THINK]" || d.ContextLength != 32768 || d.Layers != 1 {
			t.Errorf("description %+v", d)
		}
	})

	t.Run("not found", func(t *testing.T) {
		ios, _, _ := testStreams("")
		err := showRun(context.Background(), &ShowOptions{IO: ios, Client: clientFor(s), Profiles: builtinProfiles, Model: "lap/missing"})
		if want := "model lap/missing not found: run `rein pull lap/missing`"; err == nil || !strings.HasPrefix(humanize(err), want) {
			t.Errorf("error %v, want %q", err, want)
		}
	})
}

func TestProfilesCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("REIN_CONFIG_DIR", dir)
	file := filepath.Join(dir, "profiles.yaml")

	tests := []struct {
		name      string
		content   string // "" means no file
		errOut    string
		rows      map[string][2]string // name: TAGS, SOURCE
		err       string
		jsonFile  string
		nProfiles int
	}{
		{"no file", "", "profiles file: none (create " + file + " to add or change profiles)\n",
			map[string][2]string{
				"magistral":       {"<think> </think>", "built-in"},
				"magistral-think": {"[THINK] [/THINK]", "built-in"},
				"qwen3":           {"<think> </think>", "built-in"},
				"deepseek-r1":     {"<think> </think>", "built-in"},
				"gpt-oss":         {"(chat parser)", "built-in"},
				"generic":         {"(from template)", "built-in"},
			}, "", "", 6},
		{"a user file", "profiles:\n  - name: qwen3\n    think_open: <t>\n    think_close: </t>\n  - name: mine\n    match: {names: [mine*]}\n    think_open: <r>\n    think_close: </r>\n",
			"profiles file: " + file + "\n",
			map[string][2]string{
				"qwen3":     {"<t> </t>", file},
				"mine":      {"<r> </r>", file},
				"magistral": {"<think> </think>", "built-in"},
			}, "", file, 7},
		{"a malformed file", "profiles:\n  - name: qwen3\n    think_opn: <t>\n", "", nil,
			file + ":3: profiles[0].think_opn: unknown field", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(file)
			if tt.content != "" {
				if err := os.WriteFile(file, []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			ios, out, errOut := testStreams("")
			opts := &ProfilesOptions{IO: ios, Profiles: models.LoadProfiles, Path: models.ProfilesPath}
			err := profilesRun(context.Background(), opts)
			if tt.err != "" {
				if err == nil || !strings.Contains(humanize(err), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if errOut.String() != tt.errOut {
				t.Errorf("stderr %q, want %q", errOut, tt.errOut)
			}
			header, rows := parseTable(t, out.String())
			if strings.Join(header, " ") != "NAME TAGS MATCH SOURCE" {
				t.Errorf("header %v", header)
			}
			if len(rows) != tt.nProfiles {
				t.Errorf("%d profiles, want %d", len(rows), tt.nProfiles)
			}
			for name, want := range tt.rows {
				r := findRow(rows, name)
				if r == nil || r["TAGS"] != want[0] || r["SOURCE"] != want[1] {
					t.Errorf("%s row %v, want tags %q source %q", name, r, want[0], want[1])
				}
			}

			ios, out, _ = testStreams("")
			opts.IO, opts.JSON = ios, true
			if err := profilesRun(context.Background(), opts); err != nil {
				t.Fatal(err)
			}
			var j struct {
				File     string           `json:"file"`
				LookedAt string           `json:"looked_at"`
				Profiles []models.Profile `json:"profiles"`
			}
			if err := json.Unmarshal(out.Bytes(), &j); err != nil {
				t.Fatal(err)
			}
			if j.File != tt.jsonFile || j.LookedAt != file || len(j.Profiles) != tt.nProfiles {
				t.Errorf("json file %q looked at %q, %d profiles", j.File, j.LookedAt, len(j.Profiles))
			}
		})
	}
}
