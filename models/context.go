package models

import (
	"cmp"
	"math"
	"strings"
)

// The context policy: how big a context (num_ctx) a run gets. It is the one
// place where the sizes are decided; the runner applies it to each run and
// `rein show` prints what it gives for a few thinking budgets (see the
// README's "Context and memory").
//
//   - A run needs room for its prompt, its thinking and its answer. The
//     thinking room is the thinking token budget, or DefaultThinkRoom when
//     the run has none; the answer room is the answer cap, or
//     DefaultAnswerRoom. --max-tokens caps the two together. ContextMargin
//     covers the tags, the template and the budget message's tokens.
//   - The context is the smallest of the standard sizes (ContextStep, twice
//     that, and so on, up to the training context) that holds the need, so
//     that runs of one configuration share one loaded model: Ollama loads a
//     model again for every num_ctx it has not loaded it with.
//   - The runner reuses the context a model is loaded with when it holds
//     the need (ContextLength in /api/ps), and the caller's --num-ctx or a
//     num_ctx option pins it.
const (
	// ContextStep is the smallest standard context; each larger one doubles
	// it, up to the model's training context.
	ContextStep = 4096
	// DefaultThinkRoom is the thinking a context is sized for when the run
	// has no thinking token budget. The thinking may go on beyond it while
	// the context has room; where only the answer room is left, the run is
	// cut (reason tokens) and answers.
	DefaultThinkRoom = 8192
	// DefaultAnswerRoom is the room kept for the answer when the run has no
	// answer cap: the context is sized for it, and the thinking stops short
	// of it.
	DefaultAnswerRoom = 2048
	// ContextMargin is the slack a context keeps besides the prompt, the
	// thinking and the answer: the thinking tags, the template's closing
	// tokens, a token count that runs one or two over. (The runner adds the
	// budget message's length, which it knows.)
	ContextMargin = 256
)

// ContextRoom is what a run's context must hold besides its prompt: the
// thinking room (0 when the run does not think; else maxThink, or
// DefaultThinkRoom when 0), the answer room (maxAnswer, or
// DefaultAnswerRoom), both within maxTokens when it is above 0, and
// ContextMargin.
func ContextRoom(thinks bool, maxThink, maxAnswer, maxTokens int) int {
	think := 0
	if thinks {
		think = cmp.Or(maxThink, DefaultThinkRoom)
	}
	gen := think + cmp.Or(maxAnswer, DefaultAnswerRoom)
	if maxTokens > 0 {
		gen = min(gen, maxTokens)
	}
	return gen + ContextMargin
}

// ContextSize returns the smallest standard context that holds need tokens:
// ContextStep × 2^k, or the training context train when that is smaller
// (train 0: unknown, no bound). A need above the training context gets the
// training context.
func ContextSize(need, train int) int {
	n := ContextStep
	for n < need && (train <= 0 || n < train) {
		n *= 2
	}
	if train > 0 && n > train {
		n = train
	}
	return n
}

// ContextSizes lists the standard contexts of a model whose training
// context is train, smallest first; nil when train is unknown (0).
func ContextSizes(train int) []int {
	if train <= 0 {
		return nil
	}
	var out []int
	for n := 0; n < train; {
		n = ContextSize(n+1, train)
		out = append(out, n)
	}
	return out
}

// DefaultKVCacheType is the KV cache's element type on a server whose
// OLLAMA_KV_CACHE_TYPE is not known: Ollama's default.
const DefaultKVCacheType = "f16"

// kvBytesPerElement are the bytes of one cached element by cache type, as
// Ollama's memory estimate counts them.
var kvBytesPerElement = map[string]float64{"f32": 4, "f16": 2, "bf16": 2, "q8_0": 1, "q4_0": 0.5}

// KVCacheTypeName normalises a cache type ("" and unknown types are
// DefaultKVCacheType, as on the server).
func KVCacheTypeName(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	if _, ok := kvBytesPerElement[t]; !ok {
		return DefaultKVCacheType
	}
	return t
}

// KVBytesPerToken estimates the KV cache bytes one token of context takes,
// from a model's metadata (/api/show's model_info, or a GGUF file's keys)
// and the cache type (see KVCacheTypeName):
//
//	Σ over layers of head_count_kv × (key_length + value_length) × bytes per element
//
// where key_length and value_length default to embedding_length ÷
// head_count, and head_count_kv may be one number or one per layer (a
// layer with no KV heads keeps no cache). It returns 0 when the metadata
// lacks what it needs (a per-layer list that /api/show leaves empty, say).
// Sliding-window layers are counted in full, so the estimate is an upper
// bound for models that have them.
func KVBytesPerToken(info map[string]any, cacheType string) int64 {
	layers, ok := ArchInt(info, "block_count")
	if !ok || layers <= 0 {
		return 0
	}
	heads, okH := layerInts(info, "attention.head_count", layers)
	kvHeads, okKV := layerInts(info, "attention.head_count_kv", layers)
	if _, present := info[Architecture(info)+".attention.head_count_kv"]; !present {
		kvHeads, okKV = heads, okH // as in GGUF: no KV count, one KV head per head
	}
	if !okKV {
		return 0
	}
	perHead := int64(0)
	if okH {
		for _, h := range heads {
			if h > 0 && (perHead == 0 || h < perHead) {
				perHead = h // Ollama's EmbeddingHeadCount: over the fewest heads
			}
		}
	}
	embd, _ := ArchInt(info, "embedding_length")
	headDim := int64(0)
	if perHead > 0 {
		headDim = embd / perHead
	}
	k, okK := ArchInt(info, "attention.key_length")
	if !okK {
		k = headDim
	}
	v, okV := ArchInt(info, "attention.value_length")
	if !okV {
		v = headDim
	}
	if k+v <= 0 {
		return 0
	}
	var elems int64
	for i, n := range kvHeads {
		if n <= 0 || (okH && heads[i] <= 0) {
			continue // a recurrent layer: no per-token cache
		}
		elems += n * (k + v)
	}
	return int64(math.Round(float64(elems) * kvBytesPerElement[KVCacheTypeName(cacheType)]))
}

// layerInts reads "<arch>.<key>" as one value per layer: a number for all
// of them, or a list with one per layer. As in Ollama, layers a list does
// not reach get 1, or the list's one value when it has one.
func layerInts(info map[string]any, key string, layers int64) ([]int64, bool) {
	arch := Architecture(info)
	if arch == "" {
		return nil, false
	}
	out := make([]int64, layers)
	if n, ok := InfoInt(info, arch+"."+key); ok {
		for i := range out {
			out[i] = n
		}
		return out, true
	}
	list, ok := info[arch+"."+key].([]any)
	if !ok || len(list) == 0 {
		return nil, false
	}
	vals := make([]int64, len(list))
	for i, x := range list {
		n, ok := InfoInt(map[string]any{"v": x}, "v")
		if !ok {
			return nil, false
		}
		vals[i] = n
	}
	def := int64(1)
	if len(vals) == 1 {
		def = vals[0]
	}
	for i := range out {
		out[i] = def
		if i < len(vals) {
			out[i] = vals[i]
		}
	}
	return out, true
}

// ContextCost is what a thinking budget costs: the context it needs (with
// a short prompt) and that context's KV cache.
type ContextCost struct {
	ThinkTokens  int   `json:"think_tokens"`
	NumCtx       int   `json:"num_ctx"`
	KVCacheBytes int64 `json:"kv_cache_bytes"`
	// Capped is set when the training context is below what the budget
	// needs: a run is cut where the context ends.
	Capped bool `json:"capped,omitempty"`
}

// ShowThinkBudgets are the thinking budgets `rein show` prices.
var ShowThinkBudgets = []int{1024, 4096, 16384, 32768}

// ContextCosts prices thinking budgets for a model whose training context
// is train and whose KV cache takes kvPerToken bytes a token.
func ContextCosts(budgets []int, train int, kvPerToken int64) []ContextCost {
	out := make([]ContextCost, 0, len(budgets))
	for _, b := range budgets {
		need := ContextRoom(true, b, 0, 0)
		n := ContextSize(need, train)
		out = append(out, ContextCost{ThinkTokens: b, NumCtx: n, KVCacheBytes: kvPerToken * int64(n), Capped: n < need})
	}
	return out
}
