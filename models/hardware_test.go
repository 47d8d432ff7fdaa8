package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// fakeClient serves canned /api/tags, /api/ps and /api/show answers.
type fakeClient struct {
	list    api.ListResponse
	ps      api.ProcessResponse
	shows   map[string]*api.ShowResponse // by name; name+"+v" for verbose
	showN   int
	verbose int
}

func (f *fakeClient) List(context.Context) (*api.ListResponse, error) { return &f.list, nil }
func (f *fakeClient) ListRunning(context.Context) (*api.ProcessResponse, error) {
	return &f.ps, nil
}

func (f *fakeClient) Show(_ context.Context, req *api.ShowRequest) (*api.ShowResponse, error) {
	f.showN++
	key := req.Model
	if req.Verbose {
		f.verbose++
		if s, ok := f.shows[key+"+v"]; ok {
			return s, nil
		}
	}
	if s, ok := f.shows[key]; ok {
		return s, nil
	}
	return nil, api.StatusError{StatusCode: 404, ErrorMessage: "model '" + key + "' not found"}
}

func moeInfo(arch string, count, used int) map[string]any {
	return map[string]any{
		"general.architecture":      arch,
		arch + ".expert_count":      float64(count),
		arch + ".expert_used_count": float64(used),
	}
}

func TestHardwareActiveShare(t *testing.T) {
	qwen3moe := map[string]any{ // qwen3:30b-a3b's model_info figures
		"general.architecture":                "qwen3moe",
		"general.parameter_count":             30532122624.0,
		"qwen3moe.block_count":                48.0,
		"qwen3moe.embedding_length":           2048.0,
		"qwen3moe.expert_feed_forward_length": 768.0,
		"qwen3moe.expert_count":               128.0,
		"qwen3moe.expert_used_count":          8.0,
	}
	gptoss := map[string]any{ // gpt-oss:20b's
		"general.architecture":              "gptoss",
		"general.parameter_count":           20914757184.0,
		"gptoss.block_count":                24.0,
		"gptoss.embedding_length":           2880.0,
		"gptoss.expert_feed_forward_length": 2880.0,
		"gptoss.expert_count":               32.0,
		"gptoss.expert_used_count":          4.0,
	}
	tests := []struct {
		name     string
		show     *api.ShowResponse
		moe      bool
		min, max float64 // the share's bounds (equal for exact figures)
	}{
		{"nil", nil, false, 1, 1},
		{"dense", &api.ShowResponse{ModelInfo: map[string]any{"general.architecture": "llama", "llama.block_count": 28.0}}, false, 1, 1},
		{"one expert is dense", &api.ShowResponse{ModelInfo: moeInfo("x", 1, 1)}, false, 1, 1},
		{"used above count is nonsense", &api.ShowResponse{ModelInfo: moeInfo("x", 4, 8)}, false, 1, 1},
		{
			// 1000 shared F16 elements, 9000 expert ones: e = 0.9, share = 0.1 + 0.9×2/8.
			"tensors of one type", &api.ShowResponse{ModelInfo: moeInfo("x", 8, 2), Tensors: []api.Tensor{
				{Name: "token_embd.weight", Type: "F16", Shape: []uint64{10, 50}},
				{Name: "blk.0.attn_q.weight", Type: "F16", Shape: []uint64{10, 50}},
				{Name: "blk.0.ffn_gate_exps.weight", Type: "F16", Shape: []uint64{10, 30, 10}},
				{Name: "blk.0.ffn_up_exps.weight", Type: "F16", Shape: []uint64{10, 30, 10}},
				{Name: "blk.0.ffn_down_exps.weight", Type: "F16", Shape: []uint64{30, 10, 10}},
			}}, true, 0.325, 0.325,
		},
		{
			// Sized by type: 400 shared bytes (F32), 3400 expert bytes (Q8_0)
			// and a shared expert of 400 bytes, always read:
			// share = (800 + 3400/4) / 4200.
			"tensors sized by type", &api.ShowResponse{ModelInfo: moeInfo("x", 4, 1), Tensors: []api.Tensor{
				{Name: "output.weight", Type: "F32", Shape: []uint64{100}},
				{Name: "blk.0.ffn_up_exps.weight", Type: "Q8_0", Shape: []uint64{32, 100}},
				{Name: "blk.0.ffn_up_shexp.weight", Type: "F32", Shape: []uint64{100}},
			}}, true, 1650.0 / 4200, 1650.0 / 4200,
		},
		{
			// An unknown type: every tensor counts by elements (100 + 3200).
			"unknown type counts elements", &api.ShowResponse{ModelInfo: moeInfo("x", 4, 1), Tensors: []api.Tensor{
				{Name: "output.weight", Type: "F32", Shape: []uint64{100}},
				{Name: "blk.0.ffn_up_exps.weight", Type: "unknown", Shape: []uint64{32, 100}},
			}}, true, 900.0 / 3300, 900.0 / 3300,
		},
		// From the parameter counts: qwen3:30b-a3b reads about 3.3B of its
		// 30.5B parameters per token, gpt-oss:20b about 3.6-4.3B of 20.9B.
		{"qwen3:30b-a3b from model_info", &api.ShowResponse{ModelInfo: qwen3moe}, true, 3.0e9 / 30.53e9, 3.6e9 / 30.53e9},
		{"gpt-oss:20b from model_info", &api.ShowResponse{ModelInfo: gptoss}, true, 3.6e9 / 20.91e9, 4.5e9 / 20.91e9},
		// Nothing to size the experts by: all weights count as experts.
		{"no figures", &api.ShowResponse{ModelInfo: moeInfo("x", 8, 2)}, true, 0.25, 0.25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			share, moe := ActiveShare(tt.show)
			if moe != tt.moe {
				t.Errorf("moe %v, want %v", moe, tt.moe)
			}
			if share < tt.min-1e-9 || share > tt.max+1e-9 {
				t.Errorf("share %.6f, want within [%.6f, %.6f]", share, tt.min, tt.max)
			}
		})
	}
}

func TestPsSplit(t *testing.T) {
	tests := []struct {
		size, vram int64
		gpu, cpu   int
		proc       string
	}{
		{1000, 0, 0, 100, "100% CPU"},
		{1000, 1000, 100, 0, "100% GPU"},
		{1000, 520, 52, 48, "48%/52% CPU/GPU"},
		{1000, 1, 0, 100, "100%/0% CPU/GPU"},
		{1000, 2000, 0, 0, "Unknown"},
		{0, 5, 0, 0, "Unknown"},
	}
	for _, tt := range tests {
		gpu, cpu, proc := Split(tt.size, tt.vram)
		if gpu != tt.gpu || cpu != tt.cpu || proc != tt.proc {
			t.Errorf("Split(%d, %d) = %d, %d, %q; want %d, %d, %q", tt.size, tt.vram, gpu, cpu, proc, tt.gpu, tt.cpu, tt.proc)
		}
	}
}

func TestHardwareFake(t *testing.T) {
	dense := &fakeClient{
		list:  api.ListResponse{Models: []api.ListModelResponse{{Name: "m:latest", Digest: "d1", Size: 800}}},
		ps:    api.ProcessResponse{Models: []api.ProcessModelResponse{{Name: "m:latest", Model: "m:latest", Digest: "d1", Size: 1000, SizeVRAM: 600}}},
		shows: map[string]*api.ShowResponse{"m:latest": {ModelInfo: map[string]any{"general.architecture": "llama"}}},
	}
	moeTensors := []api.Tensor{
		{Name: "token_embd.weight", Type: "F16", Shape: []uint64{1000}},
		{Name: "blk.0.ffn_up_exps.weight", Type: "F16", Shape: []uint64{9000}},
	}
	// The share cache is process-wide: a fresh digest for each run of the test.
	d2 := fmt.Sprintf("d2-%d", time.Now().UnixNano())
	moe := &fakeClient{
		list: api.ListResponse{Models: []api.ListModelResponse{{Name: "moe:latest", Digest: d2, Size: 10_000}}},
		ps:   api.ProcessResponse{Models: []api.ProcessModelResponse{{Name: "moe:latest", Model: "moe:latest", Digest: d2, Size: 12_000}}},
		shows: map[string]*api.ShowResponse{
			"moe:latest":   {ModelInfo: moeInfo("x", 8, 2)},
			"moe:latest+v": {ModelInfo: moeInfo("x", 8, 2), Tensors: moeTensors},
		},
	}
	tests := []struct {
		name  string
		c     *fakeClient
		model string
		tps   float64
		want  HardwareInfo
	}{
		{"dense, split", dense, "m", 50, HardwareInfo{GPUPercent: 60, CPUPercent: 40, Processor: "40%/60% CPU/GPU", VRAMBytes: 600, SizeBytes: 1000, BytesPerToken: 800, BandwidthGBps: 800 * 50 / 1e9}},
		{"dense, no rate", dense, "m:latest", 0, HardwareInfo{GPUPercent: 60, CPUPercent: 40, Processor: "40%/60% CPU/GPU", VRAMBytes: 600, SizeBytes: 1000, BytesPerToken: 800}},
		{"moe on CPU", moe, "moe", 20, HardwareInfo{CPUPercent: 100, Processor: "100% CPU", SizeBytes: 12_000, BytesPerToken: 3250, BandwidthGBps: 3250 * 20 / 1e9, MoE: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Hardware(context.Background(), tt.c, tt.model, tt.tps)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.BandwidthGBps-tt.want.BandwidthGBps) > 1e-12 {
				t.Errorf("bandwidth %g, want %g", got.BandwidthGBps, tt.want.BandwidthGBps)
			}
			got.BandwidthGBps = tt.want.BandwidthGBps
			if got != tt.want {
				t.Errorf("Hardware = %+v, want %+v", got, tt.want)
			}
		})
	}
	// The verbose show is asked once per model digest.
	if moe.verbose != 1 {
		t.Errorf("%d verbose shows, want 1", moe.verbose)
	}
	n := moe.showN
	if _, err := Hardware(context.Background(), moe, "moe", 20); err != nil {
		t.Fatal(err)
	}
	if moe.showN != n {
		t.Errorf("a second call asked /api/show again (%d calls)", moe.showN-n)
	}

	if _, err := Hardware(context.Background(), dense, "other", 10); !errors.Is(err, ErrNotLoaded) {
		t.Errorf("model not loaded: %v, want ErrNotLoaded", err)
	}
}

func TestPsSameModel(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"qwen3", "qwen3:latest", true},
		{"qwen3", "registry.ollama.ai/library/qwen3:latest", true},
		{"Qwen3:8B", "qwen3:8b", true},
		{"qwen3:8b", "qwen3:4b", false},
		{"rein-test/a", "rein-test/a:latest", true},
		{"a", "b", false},
	}
	for _, tt := range tests {
		if got := SameModel(tt.a, tt.b); got != tt.want {
			t.Errorf("SameModel(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
