package models

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ollama/ollama/api"
)

// Client is the part of *api.Client this package uses.
type Client interface {
	List(ctx context.Context) (*api.ListResponse, error)
	ListRunning(ctx context.Context) (*api.ProcessResponse, error)
	Show(ctx context.Context, req *api.ShowRequest) (*api.ShowResponse, error)
}

var _ Client = (*api.Client)(nil)

// Architecture returns general.architecture from a model_info map.
func Architecture(info map[string]any) string {
	s, _ := info["general.architecture"].(string)
	return s
}

// InfoInt returns an integer from model_info. JSON brings numbers as
// float64; a value decoded with UseNumber, or built in Go, works too.
func InfoInt(info map[string]any, key string) (int64, bool) {
	switch v := info[key].(type) {
	case float64:
		if v != math.Trunc(v) {
			return 0, false
		}
		return int64(v), true
	case float32:
		return int64(v), true
	case int:
		return int64(v), true
	case int64:
		return v, true
	case uint64:
		return int64(v), true
	case uint32:
		return int64(v), true
	case int32:
		return int64(v), true
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// ArchInt returns "<architecture>.<key>" from model_info, such as
// context_length, block_count or expert_count.
func ArchInt(info map[string]any, key string) (int64, bool) {
	arch := Architecture(info)
	if arch == "" {
		return 0, false
	}
	return InfoInt(info, arch+"."+key)
}

// CanThink reports whether Ollama gives the model the thinking capability.
func CanThink(show *api.ShowResponse) bool {
	if show == nil {
		return false
	}
	return slices.Contains(show.Capabilities, "thinking")
}

// Capabilities returns the capabilities as strings.
func Capabilities(show *api.ShowResponse) []string {
	if show == nil {
		return nil
	}
	out := make([]string, len(show.Capabilities))
	for i, c := range show.Capabilities {
		out[i] = string(c)
	}
	return out
}

// Summary is one model of `rein models`. Its JSON keys are the listing's
// contract: name, size, parameters, quantization, family, thinking,
// context_length, profile.
type Summary struct {
	Name          string `json:"name"`
	Size          int64  `json:"size"`
	Parameters    string `json:"parameters"`
	Quantization  string `json:"quantization"`
	Family        string `json:"family"`
	Thinking      bool   `json:"thinking"`
	ContextLength int64  `json:"context_length"`
	Profile       string `json:"profile"`
}

// List returns the models the server holds, with what /api/show says about
// each and the profile that matches it, in the server's order.
func List(ctx context.Context, c Client, profiles []Profile) ([]Summary, error) {
	lr, err := c.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	out := make([]Summary, 0, len(lr.Models))
	for _, m := range lr.Models {
		s := Summary{
			Name:         m.Name,
			Size:         m.Size,
			Parameters:   m.Details.ParameterSize,
			Quantization: m.Details.QuantizationLevel,
			Family:       m.Details.Family,
		}
		show, err := c.Show(ctx, &api.ShowRequest{Model: m.Name})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// A model that vanished or does not load its manifest still lists.
			s.Profile = Match(m.Name, nil, profiles).Name
			out = append(out, s)
			continue
		}
		s.Thinking = CanThink(show)
		s.ContextLength, _ = ArchInt(show.ModelInfo, "context_length")
		s.Profile = Match(m.Name, show, profiles).Name
		if s.Family == "" {
			s.Family = show.Details.Family
		}
		out = append(out, s)
	}
	return out, nil
}

// Description is what `rein show` prints about one model.
type Description struct {
	Name string `json:"name"`
	// Profile is the profile in force, MatchedBy why it matched.
	Profile   Profile `json:"profile"`
	MatchedBy string  `json:"matched_by"`
	// ThinkOpen and ThinkClose are the tags in force (the profile's, or the
	// template's for the generic profile); TemplateOpen and TemplateClose
	// are the ones the template wraps .Thinking in.
	ThinkOpen     string   `json:"think_open"`
	ThinkClose    string   `json:"think_close"`
	TemplateOpen  string   `json:"template_think_open"`
	TemplateClose string   `json:"template_think_close"`
	Capabilities  []string `json:"capabilities"`
	Template      string   `json:"template"`
	Renderer      string   `json:"renderer,omitempty"`
	Parser        string   `json:"parser,omitempty"`
	System        string   `json:"system,omitempty"`
	Architecture  string   `json:"architecture"`
	Family        string   `json:"family"`
	Parameters    string   `json:"parameters"`
	Quantization  string   `json:"quantization"`
	// Layers, EmbeddingLength and ContextLength come from model_info
	// (block_count, embedding_length, context_length); 0 when absent.
	Layers          int64 `json:"layers"`
	EmbeddingLength int64 `json:"embedding_length"`
	ContextLength   int64 `json:"context_length"`
	// ExpertCount and ExpertUsed are set for mixture-of-experts models.
	ExpertCount int64 `json:"expert_count,omitempty"`
	ExpertUsed  int64 `json:"expert_used_count,omitempty"`
	// KVBytesPerToken is the KV cache one token of context takes with an
	// F16 cache (KVBytesPerToken), 0 when the metadata does not tell;
	// ContextCosts price the thinking budgets ShowThinkBudgets under the
	// context policy (ContextRoom, ContextSize).
	KVBytesPerToken int64         `json:"kv_bytes_per_token"`
	ContextCosts    []ContextCost `json:"context_costs,omitempty"`
}

// Describe returns what rein knows about one model.
func Describe(ctx context.Context, c Client, name string, profiles []Profile) (*Description, error) {
	show, err := c.Show(ctx, &api.ShowRequest{Model: name})
	if err != nil {
		return nil, fmt.Errorf("show %s: %w", name, err)
	}
	return describe(name, show, profiles), nil
}

func describe(name string, show *api.ShowResponse, profiles []Profile) *Description {
	p, by := MatchReason(name, show, profiles)
	d := &Description{
		Name:         name,
		Profile:      p,
		MatchedBy:    by,
		ThinkOpen:    p.ThinkOpen,
		ThinkClose:   p.ThinkClose,
		Capabilities: Capabilities(show),
		Template:     show.Template,
		Renderer:     show.Renderer,
		Parser:       show.Parser,
		System:       show.System,
		Architecture: Architecture(show.ModelInfo),
		Family:       show.Details.Family,
		Parameters:   show.Details.ParameterSize,
		Quantization: show.Details.QuantizationLevel,
	}
	d.TemplateOpen, d.TemplateClose = InferTags(show.Template)
	d.Layers, _ = ArchInt(show.ModelInfo, "block_count")
	d.EmbeddingLength, _ = ArchInt(show.ModelInfo, "embedding_length")
	d.ContextLength, _ = ArchInt(show.ModelInfo, "context_length")
	d.ExpertCount, _ = ArchInt(show.ModelInfo, "expert_count")
	d.ExpertUsed, _ = ArchInt(show.ModelInfo, "expert_used_count")
	d.KVBytesPerToken = KVBytesPerToken(show.ModelInfo, DefaultKVCacheType)
	if d.KVBytesPerToken > 0 {
		d.ContextCosts = ContextCosts(ShowThinkBudgets, int(d.ContextLength), d.KVBytesPerToken)
	}
	return d
}

// TrainContext reads "<arch>.context_length" from a model's info
// (/api/show's model_info); 0 when unknown.
func TrainContext(info map[string]any) int {
	arch, _ := info["general.architecture"].(string)
	for k, v := range info {
		if k == arch+".context_length" || (arch == "" && strings.HasSuffix(k, ".context_length")) {
			if f, ok := v.(float64); ok && f > 0 {
				return int(f)
			}
		}
	}
	return 0
}
