package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ollama/ollama/api"
)

// HardwareInfo is what the hardware does while a model decodes: where the
// model sits and the memory bandwidth its decoding uses. It is the
// `hardware` object of a run record.
type HardwareInfo struct {
	// GPUPercent and CPUPercent split the model's memory as `ollama ps`
	// does; both are 0 when Ollama reports a split it cannot explain.
	GPUPercent int `json:"gpu_percent"`
	CPUPercent int `json:"cpu_percent"`
	// Processor is the split as Ollama's CLI prints it: "100% GPU",
	// "48%/52% CPU/GPU", "100% CPU".
	Processor string `json:"processor"`
	// VRAMBytes and SizeBytes are /api/ps's size_vram and size: the memory
	// the loaded model takes on the GPU, and in all (weights, KV cache, graph).
	VRAMBytes int64 `json:"vram_bytes"`
	SizeBytes int64 `json:"size_bytes"`
	// BytesPerToken are the weight bytes one decoded token reads: the
	// model's weights, or for a mixture-of-experts model their active share
	// (the shared weights and used/count of the experts'). The KV cache is
	// left out.
	BytesPerToken int64 `json:"bytes_per_token"`
	// BandwidthGBps is BytesPerToken times the decode rate, in GB/s (1e9
	// bytes); 0 when no rate is given.
	BandwidthGBps float64 `json:"bandwidth_gbps"`
	// MoE is true for a mixture-of-experts model.
	MoE bool `json:"moe"`
}

// ErrNotLoaded means the model is not in the server's memory (/api/ps).
var ErrNotLoaded = errors.New("model is not loaded")

// Hardware returns the hardware figures of a loaded model; evalTPS is the
// decode rate a run measured (Ollama's eval_count/eval_duration). Call it
// right after a run, while the model is still loaded; a model that is not
// gives an error wrapping ErrNotLoaded.
func Hardware(ctx context.Context, c Client, model string, evalTPS float64) (HardwareInfo, error) {
	pr, err := c.ListRunning(ctx)
	if err != nil {
		return HardwareInfo{}, fmt.Errorf("hardware: %w", err)
	}
	var run *api.ProcessModelResponse
	for i := range pr.Models {
		if SameModel(pr.Models[i].Name, model) || SameModel(pr.Models[i].Model, model) {
			run = &pr.Models[i]
			break
		}
	}
	if run == nil {
		return HardwareInfo{}, fmt.Errorf("hardware: %s: %w", model, ErrNotLoaded)
	}
	hw := HardwareInfo{SizeBytes: run.Size, VRAMBytes: run.SizeVRAM}
	hw.GPUPercent, hw.CPUPercent, hw.Processor = Split(run.Size, run.SizeVRAM)

	weights, err := weightBytes(ctx, c, run)
	if err != nil {
		return HardwareInfo{}, fmt.Errorf("hardware: %w", err)
	}
	share, moe, err := activeShareFor(ctx, c, run)
	if err != nil {
		return HardwareInfo{}, fmt.Errorf("hardware: %w", err)
	}
	hw.MoE = moe
	hw.BytesPerToken = int64(float64(weights)*share + 0.5)
	if evalTPS > 0 {
		hw.BandwidthGBps = float64(hw.BytesPerToken) * evalTPS / 1e9
	}
	return hw, nil
}

// weightBytes is the model's size on disk (its blobs, as /api/tags reports
// it), which is its weights give or take a few kilobytes of template and
// parameters. When the model is not listed (a cloud or odd name), the
// loaded size stands in.
func weightBytes(ctx context.Context, c Client, run *api.ProcessModelResponse) (int64, error) {
	lr, err := c.List(ctx)
	if err != nil {
		return 0, err
	}
	for _, m := range lr.Models {
		if (run.Digest != "" && m.Digest == run.Digest) || SameModel(m.Name, run.Name) {
			if m.Size > 0 {
				return m.Size, nil
			}
		}
	}
	return run.Size, nil
}

// shareCache keeps the active share per model digest: a verbose show is
// large (the vocabulary comes with it), and a model's share never changes.
var shareCache sync.Map // digest -> shareEntry

type shareEntry struct {
	share float64
	moe   bool
}

func activeShareFor(ctx context.Context, c Client, run *api.ProcessModelResponse) (float64, bool, error) {
	if run.Digest != "" {
		if e, ok := shareCache.Load(run.Digest); ok {
			e := e.(shareEntry)
			return e.share, e.moe, nil
		}
	}
	show, err := c.Show(ctx, &api.ShowRequest{Model: run.Name})
	if err != nil {
		return 0, false, err
	}
	share, moe := ActiveShare(show)
	if moe && len(show.Tensors) == 0 {
		// The tensors come only with a verbose show; they give the experts'
		// exact share.
		if v, err := c.Show(ctx, &api.ShowRequest{Model: run.Name, Verbose: true}); err == nil {
			share, moe = ActiveShare(v)
		} else if ctx.Err() != nil {
			return 0, false, ctx.Err()
		}
	}
	if run.Digest != "" {
		shareCache.Store(run.Digest, shareEntry{share, moe})
	}
	return share, moe, nil
}

// ActiveShare returns the share of a model's weights that one decoded token
// reads, and whether the model is a mixture of experts. A dense model reads
// all of them (1). A mixture-of-experts model (<arch>.expert_count > 1)
// reads its shared weights and expert_used_count/expert_count of its
// experts' weights:
//
//	share = 1 - e + e × used/count
//
// where e is the experts' share of the weights: from the tensors (names
// with "_exps", sized by type) when show carries them (a verbose show),
// else from the parameter counts in model_info, else taken as 1.
func ActiveShare(show *api.ShowResponse) (share float64, moe bool) {
	if show == nil {
		return 1, false
	}
	count, _ := ArchInt(show.ModelInfo, "expert_count")
	used, _ := ArchInt(show.ModelInfo, "expert_used_count")
	if count <= 1 || used <= 0 || used > count {
		return 1, false
	}
	e, ok := expertShareFromTensors(show.Tensors)
	if !ok {
		e, ok = expertShareFromParams(show.ModelInfo, count)
	}
	if !ok {
		e = 1
	}
	return 1 - e + e*float64(used)/float64(count), true
}

// expertShareFromTensors sizes each tensor by its type; when a type is not
// known, every tensor counts by its elements instead.
func expertShareFromTensors(ts []api.Tensor) (float64, bool) {
	if len(ts) == 0 {
		return 0, false
	}
	var all, experts, allElems, expertElems float64
	known := true
	for _, t := range ts {
		elems := 1.0
		for _, n := range t.Shape {
			elems *= float64(n)
		}
		allElems += elems
		isExpert := strings.Contains(t.Name, "_exps")
		if isExpert {
			expertElems += elems
		}
		b, ok := tensorBytes(t.Type, elems)
		if !ok {
			known = false
			continue
		}
		all += b
		if isExpert {
			experts += b
		}
	}
	if !known {
		all, experts = allElems, expertElems
	}
	if all == 0 || experts == 0 {
		return 0, false
	}
	return experts / all, true
}

// expertShareFromParams estimates the experts' parameters as
// layers × expert_count × 3 × embedding × expert FFN width (gate, up and
// down projections), over general.parameter_count.
func expertShareFromParams(info map[string]any, count int64) (float64, bool) {
	total, ok := InfoInt(info, "general.parameter_count")
	if !ok || total <= 0 {
		return 0, false
	}
	layers, ok1 := ArchInt(info, "block_count")
	embd, ok2 := ArchInt(info, "embedding_length")
	ff, ok3 := ArchInt(info, "expert_feed_forward_length")
	if !ok3 {
		ff, ok3 = ArchInt(info, "feed_forward_length")
	}
	if !ok1 || !ok2 || !ok3 {
		return 0, false
	}
	if dense, ok := ArchInt(info, "leading_dense_block_count"); ok && dense < layers {
		layers -= dense
	}
	e := float64(layers) * float64(count) * 3 * float64(embd) * float64(ff) / float64(total)
	if e <= 0 || e >= 1 {
		return 0, false
	}
	return e, true
}

// ggmlTypes are block size and bytes per block of GGML tensor types, by
// the names /api/show gives them.
var ggmlTypes = map[string][2]float64{
	"F32": {1, 4}, "F16": {1, 2}, "BF16": {1, 2}, "F64": {1, 8},
	"I8": {1, 1}, "I16": {1, 2}, "I32": {1, 4}, "I64": {1, 8},
	"Q4_0": {32, 18}, "Q4_1": {32, 20}, "Q5_0": {32, 22}, "Q5_1": {32, 24},
	"Q8_0": {32, 34}, "Q8_1": {32, 36}, "MXFP4": {32, 17}, "IQ4_NL": {32, 18},
	"Q2_K": {256, 84}, "Q3_K": {256, 110}, "Q4_K": {256, 144}, "Q5_K": {256, 176},
	"Q6_K": {256, 210}, "Q8_K": {256, 292},
	"IQ2_XXS": {256, 66}, "IQ2_XS": {256, 74}, "IQ2_S": {256, 82}, "IQ3_XXS": {256, 98},
	"IQ3_S": {256, 110}, "IQ1_S": {256, 50}, "IQ1_M": {256, 56}, "IQ4_XS": {256, 136},
}

func tensorBytes(typ string, elems float64) (float64, bool) {
	t, ok := ggmlTypes[strings.ToUpper(typ)]
	if !ok {
		return 0, false
	}
	return elems / t[0] * t[1], true
}
