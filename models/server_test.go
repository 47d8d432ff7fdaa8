package models

import (
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/models/scripted"
)

var srv *ollamatest.Server

func TestMain(m *testing.M) { os.Exit(ollamatest.RunMain(m, &srv, ollamatest.Options{})) }

// The scripted models these tests create, one per family, once.
var (
	scriptedOnce sync.Once
	scriptedErr  error
)

var testModels = []struct{ name, family, profile string }{
	{"rein-models/qwen3", "qwen3", "qwen3"},
	{"rein-models/magistral", "magistral", "magistral"},
	{"rein-models/magistral-think", "magistral-think", "magistral-think"},
	{"rein-models/deepseek-r1", "deepseek-r1", "deepseek-r1"},
	{"rein-models/plain", "plain", GenericName},
}

func needModels(t *testing.T) *ollamatest.Server {
	t.Helper()
	s := ollamatest.Need(t, srv)
	scriptedOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		for _, tm := range testModels {
			f, _ := scripted.LookupFamily(tm.family)
			text := "<think>\nAdd two and two.\n\n</think>\n\nFour."
			if f.Open == "" {
				text = "Four."
			}
			text = strings.NewReplacer("<think>", f.Open, "</think>", f.Close).Replace(text)
			sc, err := scripted.ParseScript(text)
			if err != nil {
				scriptedErr = err
				return
			}
			m, err := scripted.Build(scripted.Spec{Family: tm.family, Script: sc})
			if err != nil {
				scriptedErr = err
				return
			}
			if err := scripted.Create(ctx, s.Client, tm.name, m, ""); err != nil {
				scriptedErr = err
				return
			}
		}
	})
	if scriptedErr != nil {
		t.Fatal(scriptedErr)
	}
	return s
}

// load runs a short generation so the model is in memory, and returns its
// decode rate.
func load(t *testing.T, c *api.Client, name string) float64 {
	t.Helper()
	var final api.GenerateResponse
	stream := false
	err := c.Generate(context.Background(), &api.GenerateRequest{
		Model: name, Prompt: "What is 2+2?", Stream: &stream,
		Think:     &api.ThinkValue{Value: false},
		KeepAlive: &api.Duration{Duration: 10 * time.Minute},
		Options:   map[string]any{"num_predict": 8, "num_ctx": 2048},
	}, func(r api.GenerateResponse) error { final = r; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if final.EvalDuration <= 0 || final.EvalCount == 0 {
		t.Fatalf("no eval metrics: %+v", final.Metrics)
	}
	return float64(final.EvalCount) / final.EvalDuration.Seconds()
}

func TestModelsListScripted(t *testing.T) {
	s := needModels(t)
	got, err := List(context.Background(), s.Client, Builtins())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Summary{}
	for _, m := range got {
		byName[m.Name] = m
	}
	for _, tm := range testModels {
		m, ok := byName[tm.name+":latest"]
		if !ok {
			t.Errorf("%s not listed (%d models)", tm.name, len(got))
			continue
		}
		wantThinking := tm.family != "plain"
		if m.Profile != tm.profile || m.Thinking != wantThinking || m.ContextLength != 32768 ||
			m.Family != "llama" || m.Size <= 0 || m.Parameters == "" || m.Quantization == "" {
			t.Errorf("%s = %+v; want profile %s, thinking %v, context 32768, family llama, a size, parameters and quantization",
				tm.name, m, tm.profile, wantThinking)
		}
	}
}

func TestShowDescribeScripted(t *testing.T) {
	s := needModels(t)
	d, err := Describe(context.Background(), s.Client, "rein-models/magistral-think", Builtins())
	if err != nil {
		t.Fatal(err)
	}
	f, _ := scripted.LookupFamily("magistral-think")
	if d.Profile.Name != "magistral-think" || d.MatchedBy != ByName ||
		d.ThinkOpen != "[THINK]" || d.ThinkClose != "[/THINK]" ||
		d.TemplateOpen != "[THINK]" || d.TemplateClose != "[/THINK]" ||
		d.Template != f.Template || d.Architecture != "llama" ||
		d.Layers != 1 || d.EmbeddingLength <= 0 || d.ContextLength != 32768 ||
		!strings.Contains(strings.Join(d.Capabilities, ","), "thinking") {
		t.Errorf("Describe = %+v", d)
	}
	if _, err := Describe(context.Background(), s.Client, "rein-models/none", Builtins()); err == nil {
		t.Error("no error for a model that does not exist")
	}
}

func TestRunningAndHardwareScripted(t *testing.T) {
	s := needModels(t)
	const name = "rein-models/qwen3"
	tps := load(t, s.Client, name)
	ctx := context.Background()

	loadedModels, err := Running(ctx, s.Client)
	if err != nil {
		t.Fatal(err)
	}
	var l *Loaded
	for i := range loadedModels {
		if SameModel(loadedModels[i].Name, name) {
			l = &loadedModels[i]
		}
	}
	if l == nil {
		t.Fatalf("%s is not in %+v", name, loadedModels)
	}
	gpu, cpu, proc := Split(l.Size, l.SizeVRAM)
	if l.Size <= 0 || l.Processor != proc || l.GPUPercent != gpu || l.CPUPercent != cpu ||
		l.ContextLength != 2048 || !l.ExpiresAt.After(time.Now()) {
		t.Errorf("loaded = %+v", *l)
	}
	if l.GPUPercent+l.CPUPercent != 100 {
		t.Errorf("split %d%% GPU + %d%% CPU", l.GPUPercent, l.CPUPercent)
	}

	hw, err := Hardware(ctx, s.Client, name, tps)
	if err != nil {
		t.Fatal(err)
	}
	lr, err := s.Client.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var weights int64
	for _, m := range lr.Models {
		if SameModel(m.Name, name) {
			weights = m.Size
		}
	}
	if hw.SizeBytes != l.Size || hw.VRAMBytes != l.SizeVRAM || hw.GPUPercent != l.GPUPercent ||
		hw.CPUPercent != l.CPUPercent || hw.MoE || hw.BytesPerToken != weights || weights == 0 {
		t.Errorf("Hardware = %+v; ps %+v, weights %d", hw, *l, weights)
	}
	if want := float64(weights) * tps / 1e9; math.Abs(hw.BandwidthGBps-want) > want*1e-9 || want <= 0 {
		t.Errorf("bandwidth %g GB/s, want %g (%d bytes × %.1f tokens/s)", hw.BandwidthGBps, want, weights, tps)
	}
	t.Logf("%s: %+v at %.0f tokens/s", name, hw, tps)

	// Nothing in this package loads the plain model.
	if _, err := Hardware(ctx, s.Client, "rein-models/plain", tps); !errors.Is(err, ErrNotLoaded) {
		t.Errorf("a model not loaded: %v, want ErrNotLoaded", err)
	}
}
