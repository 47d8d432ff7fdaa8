package models_test

import (
	"slices"
	"testing"

	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/models/scripted"
)

func TestContextSize(t *testing.T) {
	tests := []struct {
		need, train, want int
	}{
		{0, 0, 4096},
		{1, 65536, 4096},
		{4096, 65536, 4096},
		{4097, 65536, 8192},
		{13000, 65536, 16384},
		{16385, 65536, 32768},
		{40000, 40960, 40960}, // the training context is the last step
		{50000, 40960, 40960}, // and the cap
		{30000, 40960, 32768},
		{3000, 2048, 2048}, // a training context below the first step
		{200000, 0, 262144},
	}
	for _, tt := range tests {
		if got := models.ContextSize(tt.need, tt.train); got != tt.want {
			t.Errorf("ContextSize(%d, %d) = %d, want %d", tt.need, tt.train, got, tt.want)
		}
	}
}

func TestContextSizes(t *testing.T) {
	tests := []struct {
		train int
		want  []int
	}{
		{0, nil},
		{2048, []int{2048}},
		{32768, []int{4096, 8192, 16384, 32768}},
		{40960, []int{4096, 8192, 16384, 32768, 40960}},
	}
	for _, tt := range tests {
		if got := models.ContextSizes(tt.train); !slices.Equal(got, tt.want) {
			t.Errorf("ContextSizes(%d) = %v, want %v", tt.train, got, tt.want)
		}
	}
}

func TestContextRoom(t *testing.T) {
	m := models.ContextMargin
	tests := []struct {
		name                           string
		thinks                         bool
		maxThink, maxAnswer, maxTokens int
		want                           int
	}{
		{"defaults", true, 0, 0, 32768, models.DefaultThinkRoom + models.DefaultAnswerRoom + m},
		{"budgets", true, 1000, 500, 32768, 1500 + m},
		{"no thinking", false, 1000, 0, 32768, models.DefaultAnswerRoom + m},
		{"max tokens caps both", true, 0, 0, 3000, 3000 + m},
		{"no cap", true, 32768, 0, 0, 32768 + models.DefaultAnswerRoom + m},
	}
	for _, tt := range tests {
		if got := models.ContextRoom(tt.thinks, tt.maxThink, tt.maxAnswer, tt.maxTokens); got != tt.want {
			t.Errorf("%s: ContextRoom = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestKVBytesPerToken checks the estimate against sums done by hand: from
// the GGUF metadata of the scripted size presets, and from the figures of
// real models.
func TestKVBytesPerToken(t *testing.T) {
	// The scripted presets' GGUF keys, as the server's /api/show returns
	// them (model_info is the GGUF metadata).
	preset := func(name string) map[string]any {
		m, err := scripted.Build(scripted.Spec{Family: "qwen3", Size: scripted.Presets[name],
			Script: scripted.Script{Thinking: "\nA step.\n\n", Answer: "\n\nDone."}})
		if err != nil {
			t.Fatal(err)
		}
		info := map[string]any{}
		for _, kv := range m.KVs() {
			info[kv.Key] = kv.Value
		}
		return info
	}
	p06, p4 := preset("0.6b"), preset("4b")
	// By hand, from the metadata: K and V (2) × layers × KV heads × head
	// size (embedding ÷ heads) × 2 bytes (F16).
	byHand := func(info map[string]any) int64 {
		layers := int64(info["llama.block_count"].(uint32))
		embd := int64(info["llama.embedding_length"].(uint32))
		heads := int64(info["llama.attention.head_count"].(uint32))
		kvHeads := int64(info["llama.attention.head_count_kv"].(uint32))
		return 2 * layers * kvHeads * (embd / heads) * 2
	}
	// The presets' shapes: 0.6b is 28 layers of 16 heads of 64 (embedding
	// 1024), 4b 36 layers of 20 heads of 128 (embedding 2560).
	const want06 = 2 * 28 * 16 * 64 * 2    // 114,688 bytes
	const want4 = 2 * 36 * 20 * 128 * 2    // 368,640 bytes
	const magistral = 2 * 40 * 8 * 128 * 2 // 163,840 bytes: "about 160 KB"
	tests := []struct {
		name      string
		info      map[string]any
		cacheType string
		want      int64
	}{
		{"scripted 0.6b", p06, "", want06},
		{"scripted 0.6b by hand", p06, "f16", byHand(p06)},
		{"scripted 4b", p4, "", want4},
		{"scripted 4b by hand", p4, "F16", byHand(p4)},
		{"scripted 4b q8_0", p4, "q8_0", want4 / 2},
		{"scripted 4b q4_0", p4, "q4_0", want4 / 4},
		{"scripted 4b unknown type is f16", p4, "q5_9", want4},
		{"magistral small 24b", map[string]any{
			"general.architecture": "llama", "llama.block_count": 40.0, "llama.embedding_length": 5120.0,
			"llama.attention.head_count": 32.0, "llama.attention.head_count_kv": 8.0,
			"llama.attention.key_length": 128.0, "llama.attention.value_length": 128.0,
		}, "", magistral},
		{"per-layer KV heads, a recurrent layer", map[string]any{
			"general.architecture": "x", "x.block_count": 3.0, "x.embedding_length": 256.0,
			"x.attention.head_count": []any{4.0, 4.0, 0.0}, "x.attention.head_count_kv": []any{2.0, 1.0, 0.0},
		}, "", (2 + 1) * (64 + 64) * 2},
		{"list left empty by /api/show", map[string]any{
			"general.architecture": "x", "x.block_count": 3.0, "x.embedding_length": 256.0,
			"x.attention.head_count": 4.0, "x.attention.head_count_kv": []any{},
		}, "", 0}, // unknown, not guessed
		{"no head_count_kv: one per head", map[string]any{
			"general.architecture": "x", "x.block_count": 3.0, "x.embedding_length": 256.0,
			"x.attention.head_count": 4.0,
		}, "", 3 * 4 * (64 + 64) * 2},
		{"no metadata", map[string]any{}, "", 0},
	}
	for _, tt := range tests {
		if got := models.KVBytesPerToken(tt.info, tt.cacheType); got != tt.want {
			t.Errorf("%s: KVBytesPerToken = %d, want %d", tt.name, got, tt.want)
		}
	}
	if byHand(p06) != want06 || byHand(p4) != want4 {
		t.Errorf("the presets changed shape: 0.6b %d, 4b %d bytes per token", byHand(p06), byHand(p4))
	}
}

func TestContextCosts(t *testing.T) {
	got := models.ContextCosts(models.ShowThinkBudgets, 40960, 163840)
	want := []models.ContextCost{
		{ThinkTokens: 1024, NumCtx: 4096, KVCacheBytes: 4096 * 163840},
		{ThinkTokens: 4096, NumCtx: 8192, KVCacheBytes: 8192 * 163840},
		{ThinkTokens: 16384, NumCtx: 32768, KVCacheBytes: 32768 * 163840},
		{ThinkTokens: 32768, NumCtx: 40960, KVCacheBytes: 40960 * 163840},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ContextCosts:\n got %+v\nwant %+v", got, want)
	}
	// A training context below the need: the run is cut where it ends.
	got = models.ContextCosts([]int{32768}, 32768, 100)
	if want := (models.ContextCost{ThinkTokens: 32768, NumCtx: 32768, KVCacheBytes: 32768 * 100, Capped: true}); got[0] != want {
		t.Errorf("capped: %+v, want %+v", got[0], want)
	}
}
