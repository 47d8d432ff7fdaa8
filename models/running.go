package models

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"
)

// Loaded is one model the server has in memory (`rein ps`).
type Loaded struct {
	Name string `json:"name"`
	// Size is the memory the model takes (weights, KV cache and graph);
	// SizeVRAM the part of it in GPU memory.
	Size     int64 `json:"size"`
	SizeVRAM int64 `json:"size_vram"`
	// Processor is the split as Ollama's CLI prints it: "100% GPU",
	// "48%/52% CPU/GPU", "100% CPU" or "Unknown".
	Processor  string `json:"processor"`
	GPUPercent int    `json:"gpu_percent"`
	CPUPercent int    `json:"cpu_percent"`
	// ContextLength is the context the model was loaded with.
	ContextLength int       `json:"context_length"`
	ExpiresAt     time.Time `json:"expires_at"`
}

// Split returns the GPU and CPU shares of a loaded model's memory in whole
// percent, and the processor string Ollama's `ollama ps` prints. A split
// Ollama cannot explain (VRAM above the size, or no size) is "Unknown" with
// both shares 0.
func Split(size, sizeVRAM int64) (gpu, cpu int, processor string) {
	switch {
	case sizeVRAM == 0:
		return 0, 100, "100% CPU"
	case sizeVRAM == size:
		return 100, 0, "100% GPU"
	case sizeVRAM > size || size == 0:
		return 0, 0, "Unknown"
	}
	cpu = int(math.Round(float64(size-sizeVRAM) / float64(size) * 100))
	return 100 - cpu, cpu, fmt.Sprintf("%d%%/%d%% CPU/GPU", cpu, 100-cpu)
}

// Running returns the models the server has loaded.
func Running(ctx context.Context, c Client) ([]Loaded, error) {
	pr, err := c.ListRunning(ctx)
	if err != nil {
		return nil, fmt.Errorf("list running models: %w", err)
	}
	out := make([]Loaded, 0, len(pr.Models))
	for _, m := range pr.Models {
		out = append(out, loaded(m))
	}
	return out, nil
}

func loaded(m api.ProcessModelResponse) Loaded {
	gpu, cpu, proc := Split(m.Size, m.SizeVRAM)
	return Loaded{
		Name: m.Name, Size: m.Size, SizeVRAM: m.SizeVRAM,
		Processor: proc, GPUPercent: gpu, CPUPercent: cpu,
		ContextLength: m.ContextLength, ExpiresAt: m.ExpiresAt,
	}
}

// SameModel reports whether two model names name the same model
// ("qwen3" and "registry.ollama.ai/library/qwen3:latest" do).
func SameModel(a, b string) bool {
	if a == b {
		return true
	}
	na, nb := model.ParseName(a), model.ParseName(b)
	return na.IsValid() && nb.IsValid() && na.EqualFold(nb)
}
