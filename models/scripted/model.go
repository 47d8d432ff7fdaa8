// Package scripted generates scripted reasoning models: real GGUF files that
// a real Ollama server loads and runs, whose weights make them deterministic
// bigram machines that follow a script at any temperature. They are the test
// rig and the demo's model: nothing is downloaded.
//
// The architecture is llama with a SentencePiece vocabulary. Embeddings are
// one-hot; the attention output and FFN down projections are zero, so the
// final hidden state is the current token's embedding, and output.weight
// gives each token exactly one successor with a large logit.
package scripted

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Size sets a model's shape, and so its per-token cost. The zero Size is the
// tiny default: one layer, F32, the smallest width that holds the vocabulary.
type Size struct {
	Layers  int
	Dim     int // embedding length; raised to hold the vocabulary (one-hot)
	FF      int // feed-forward length
	HeadDim int
	Quant   TensorType // type of the layer matrices: F32, Q8_0 or Q4_0
}

// Preset sizes: roughly the per-token weight bytes of real 4-bit models.
var Presets = map[string]Size{
	"tiny": {},
	"0.6b": {Layers: 28, Dim: 1024, FF: 4096, HeadDim: 64, Quant: TypeQ4_0},
	"4b":   {Layers: 36, Dim: 2560, FF: 9728, HeadDim: 128, Quant: TypeQ4_0},
}

// Continuation maps the last token of a text at the end of a prompt to a
// script that follows it: a thinking prefix that picks a chain, or the
// "Wait" that --min-steps appends. The continuation's thinking closes with the
// family's closing tag, whose successor is the main script's answer.
type Continuation struct {
	After string
	// Thinking goes on after After; it closes unless Loop is set.
	Thinking string
	Loop     bool
}

// Spec describes a scripted model.
type Spec struct {
	Name          string
	Family        string // qwen3, magistral, magistral-think, deepseek-r1, plain
	Script        Script
	Continuations []Continuation
	Size          Size
	ContextLength int // training context; default 32768
}

// Model is a built scripted model: its vocabulary and successor table.
type Model struct {
	Spec   Spec
	Family Family
	Vocab  *Vocab
	// Next is each token's successor; tokens outside every script end the turn.
	Next []int
	// Main is the main script's token sequence: what the model generates after
	// the generation prompt, without the end-of-turn token. A loop's sequence
	// holds one cycle.
	Main []int
	// PromptLast is the last token of a rendered generation prompt.
	PromptLast int
	// ThinkingIDs and AnswerIDs are the tokens of the main script's parts.
	ThinkingIDs, AnswerIDs []int
	eos                    int
	dim, ff, headDim       int
}

// Build makes the vocabulary and the successor table for spec.
func Build(spec Spec) (*Model, error) {
	fam, err := LookupFamily(spec.Family)
	if err != nil {
		return nil, err
	}
	sc := spec.Script
	if sc.Thinking != "" && fam.Open == "" {
		return nil, fmt.Errorf("script: family %s does not think, but the script has thinking", fam.Name)
	}
	if sc.Thinking == "" && sc.Answer == "" {
		return nil, fmt.Errorf("script: empty script")
	}
	if sc.Loop && sc.Thinking == "" {
		return nil, fmt.Errorf("script: a loop needs thinking")
	}

	v := newVocab()
	for _, s := range fam.Specials {
		v.add(s, TokenControl, 0)
	}
	if fam.Open != "" {
		v.add(fam.Open, TokenUserDefined, 0)
		v.add(fam.Close, TokenUserDefined, 0)
	}
	eos := v.add(fam.EOS, TokenControl, 0)

	used := map[string]bool{}
	if fam.Suffix != "" {
		used[fam.Suffix] = true
	}
	var triggers [][]string
	for _, c := range spec.Continuations {
		if c.After == "" || c.Thinking == "" {
			return nil, fmt.Errorf("script: a continuation needs After and Thinking")
		}
		// The trigger, and the same text after a space or a newline, so that
		// it is recognised at the end of a trace however the encoder joins it.
		var t []string
		for _, p := range []string{c.After, " " + c.After, "\n" + c.After, "\n\n" + c.After} {
			if !used[p] {
				used[p] = true
				t = append(t, p)
			}
		}
		if len(t) == 0 || t[0] != c.After {
			return nil, fmt.Errorf("script: continuation trigger %q is used twice", c.After)
		}
		triggers = append(triggers, t)
	}

	thinkP, err := uniquePieces(splitPieces(sc.Thinking), used)
	if err != nil {
		return nil, err
	}
	answerP, err := uniquePieces(splitPieces(sc.Answer), used)
	if err != nil {
		return nil, err
	}
	contP := make([][]string, len(spec.Continuations))
	for i, c := range spec.Continuations {
		if contP[i], err = uniquePieces(splitPieces(c.Thinking), used); err != nil {
			return nil, err
		}
	}

	ids := func(pieces []string) []int {
		out := make([]int, len(pieces))
		for i, p := range pieces {
			out[i] = v.addPiece(p)
		}
		return out
	}
	if fam.Suffix != "" {
		v.addPiece(fam.Suffix)
	}
	thinkIDs, answerIDs := ids(thinkP), ids(answerP)
	trigIDs := make([][]int, len(triggers))
	for i, t := range triggers {
		trigIDs[i] = ids(t)
	}
	contIDs := make([][]int, len(contP))
	for i, p := range contP {
		contIDs[i] = ids(p)
	}

	m := &Model{Spec: spec, Family: fam, Vocab: v, eos: eos, ThinkingIDs: thinkIDs, AnswerIDs: answerIDs}
	m.Next = make([]int, len(v.Tokens))
	set := make([]bool, len(v.Tokens))
	for i := range m.Next {
		m.Next[i] = eos
	}
	var conflict error
	link := func(a, b int) {
		if set[a] && m.Next[a] != b && conflict == nil {
			conflict = fmt.Errorf("script: token %q would need two successors (%q and %q)", v.Tokens[a], v.Tokens[m.Next[a]], v.Tokens[b])
		}
		set[a] = true
		m.Next[a] = b
	}
	chain := func(seq []int) {
		for i := 1; i < len(seq); i++ {
			link(seq[i-1], seq[i])
		}
	}

	// The prompt's last token leads into the script.
	m.PromptLast = m.promptLast()
	answer := append(append([]int{}, answerIDs...), eos)
	var main []int
	if sc.Thinking != "" {
		open, _ := v.ID(fam.Open)
		closeID, _ := v.ID(fam.Close)
		main = append(main, open)
		main = append(main, thinkIDs...)
		chain(append([]int{m.PromptLast}, main...))
		if sc.Loop {
			link(thinkIDs[len(thinkIDs)-1], thinkIDs[0])
		} else {
			main = append(main, closeID)
			link(thinkIDs[len(thinkIDs)-1], closeID)
		}
		// The closing tag always leads to the answer: after the script's own
		// close, after a forced close on resume, and when thinking is off.
		chain(append([]int{closeID}, answer...))
		if !sc.Loop {
			main = append(main, answerIDs...)
		}
	} else {
		chain(append([]int{m.PromptLast}, answer...))
		main = append(main, answerIDs...)
	}
	for i, c := range spec.Continuations {
		first := contIDs[i][0]
		for _, t := range trigIDs[i] {
			link(t, first)
		}
		chain(contIDs[i])
		last := contIDs[i][len(contIDs[i])-1]
		if c.Loop {
			link(last, first)
		} else if fam.Close != "" {
			closeID, _ := v.ID(fam.Close)
			link(last, closeID)
		}
	}
	if conflict != nil {
		return nil, conflict
	}
	m.Main = main

	size := spec.Size
	if size.Layers <= 0 {
		size.Layers = 1
	}
	if size.HeadDim <= 0 {
		size.HeadDim = 64
	}
	m.headDim = size.HeadDim
	m.dim = max(size.Dim, len(v.Tokens))
	m.dim = (m.dim + m.headDim - 1) / m.headDim * m.headDim
	m.ff = size.FF
	if m.ff <= 0 {
		m.ff = 64
	}
	m.ff = (m.ff + 31) / 32 * 32
	m.Spec.Size = size
	if m.Spec.ContextLength <= 0 {
		m.Spec.ContextLength = 32768
	}
	return m, nil
}

// promptLast is the token a rendered generation prompt ends with.
func (m *Model) promptLast() int {
	if m.Family.Suffix != "" {
		ids := m.Vocab.Encode(m.Family.Suffix)
		return ids[len(ids)-1]
	}
	// Prompts end on a special token: [/INST] or <｜Assistant｜>.
	for _, s := range []string{"[/INST]", "<｜Assistant｜>"} {
		if id, ok := m.Vocab.ID(s); ok {
			return id
		}
	}
	return m.eos
}

// Follow returns the tokens the model generates after the token from,
// at most n of them, ending before the end-of-turn token.
func (m *Model) Follow(from, n int) []int {
	var out []int
	for t := m.Next[from]; t != m.eos && len(out) < n; t = m.Next[t] {
		out = append(out, t)
	}
	return out
}

// Text is what the model generates after the generation prompt (one cycle of a loop).
func (m *Model) Text() string { return m.Vocab.Decode(m.Main) }

// Thinking and Answer are the main script's parts as the model generates them.
func (m *Model) Thinking() string { return m.Vocab.Decode(m.ThinkingIDs) }
func (m *Model) Answer() string   { return m.Vocab.Decode(m.AnswerIDs) }

// RoundTrips reports whether the tokenizer encodes the decoded main script
// back to the same tokens, which KV-cache reuse on resume needs.
func (m *Model) RoundTrips() bool {
	got := m.Vocab.Encode(m.Text())
	if len(got) != len(m.Main) {
		return false
	}
	for i := range got {
		if got[i] != m.Main[i] {
			return false
		}
	}
	return true
}

// VocabSize is the number of tokens.
func (m *Model) VocabSize() int { return len(m.Vocab.Tokens) }

// EOS is the end-of-turn token.
func (m *Model) EOS() int { return m.eos }

func (m *Model) fileType() uint32 {
	switch m.Spec.Size.Quant {
	case TypeQ4_0:
		return 2
	case TypeQ8_0:
		return 7
	}
	return 0
}

// KVs is the GGUF metadata.
func (m *Model) KVs() []KV {
	v := m.Vocab
	name := m.Spec.Name
	if name == "" {
		name = "scripted-" + m.Family.Name
	}
	return []KV{
		{"general.architecture", "llama"},
		{"general.name", name},
		{"general.file_type", m.fileType()},
		{"general.alignment", uint32(Alignment)},
		{"llama.context_length", uint32(m.Spec.ContextLength)},
		{"llama.embedding_length", uint32(m.dim)},
		{"llama.block_count", uint32(m.Spec.Size.Layers)},
		{"llama.feed_forward_length", uint32(m.ff)},
		{"llama.attention.head_count", uint32(m.dim / m.headDim)},
		{"llama.attention.head_count_kv", uint32(m.dim / m.headDim)},
		{"llama.attention.layer_norm_rms_epsilon", float32(1e-5)},
		{"llama.rope.dimension_count", uint32(m.headDim)},
		{"llama.rope.freq_base", float32(10000)},
		{"llama.vocab_size", uint32(len(v.Tokens))},
		{"tokenizer.ggml.model", "llama"},
		{"tokenizer.ggml.tokens", v.Tokens},
		{"tokenizer.ggml.scores", v.Scores},
		{"tokenizer.ggml.token_type", v.Types},
		{"tokenizer.ggml.bos_token_id", uint32(1)},
		{"tokenizer.ggml.eos_token_id", uint32(m.eos)},
		{"tokenizer.ggml.unknown_token_id", uint32(0)},
		{"tokenizer.ggml.add_bos_token", false},
		{"tokenizer.ggml.add_eos_token", false},
		{"tokenizer.ggml.add_space_prefix", false},
	}
}

// Tensors are the model's weights.
func (m *Model) Tensors() []*Tensor {
	d, V, ff := uint64(m.dim), uint64(len(m.Vocab.Tokens)), uint64(m.ff)
	ones := func(r int, row []float32) {
		for i := range row {
			row[i] = 1
		}
	}
	// After RMSNorm the one-hot state is sqrt(d) at its token, so this
	// weight gives the successor a logit of about 50: deterministic at any
	// temperature, repeat penalty included.
	gain := float32(50 / math.Sqrt(float64(d)))
	succ := make([][]int, V) // predecessors of each token
	for i, n := range m.Next {
		succ[n] = append(succ[n], i)
	}
	ts := []*Tensor{
		{Name: "token_embd.weight", Type: TypeF32, Shape: []uint64{d, V},
			Data: f32Rows(int(V), int(d), func(r int, row []float32) { row[r] = 1 })},
		{Name: "output_norm.weight", Type: TypeF32, Shape: []uint64{d}, Data: f32Rows(1, int(d), ones)},
		{Name: "output.weight", Type: TypeF32, Shape: []uint64{d, V},
			Data: f32Rows(int(V), int(d), func(r int, row []float32) {
				for _, p := range succ[r] {
					row[p] = gain
				}
			})},
	}
	q := m.Spec.Size.Quant
	for l := 0; l < m.Spec.Size.Layers; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		ts = append(ts,
			&Tensor{Name: p + "attn_norm.weight", Type: TypeF32, Shape: []uint64{d}, Data: f32Rows(1, int(d), ones)},
			&Tensor{Name: p + "attn_q.weight", Type: q, Shape: []uint64{d, d}},
			&Tensor{Name: p + "attn_k.weight", Type: q, Shape: []uint64{d, d}},
			&Tensor{Name: p + "attn_v.weight", Type: q, Shape: []uint64{d, d}},
			&Tensor{Name: p + "attn_output.weight", Type: q, Shape: []uint64{d, d}},
			&Tensor{Name: p + "ffn_norm.weight", Type: TypeF32, Shape: []uint64{d}, Data: f32Rows(1, int(d), ones)},
			&Tensor{Name: p + "ffn_gate.weight", Type: q, Shape: []uint64{d, ff}},
			&Tensor{Name: p + "ffn_up.weight", Type: q, Shape: []uint64{d, ff}},
			&Tensor{Name: p + "ffn_down.weight", Type: q, Shape: []uint64{ff, d}},
		)
	}
	return ts
}

// WriteGGUF writes the model as a GGUF file.
func (m *Model) WriteGGUF(w io.Writer) error { return WriteGGUF(w, m.KVs(), m.Tensors()) }

// describe is a short summary for logs.
func (m *Model) describe() string {
	return fmt.Sprintf("%s: %d tokens, dim %d, %d layers %s", m.Family.Name, len(m.Vocab.Tokens), m.dim, m.Spec.Size.Layers, strings.ToUpper(m.Spec.Size.Quant.String()))
}
