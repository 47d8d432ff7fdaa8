package scripted

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ollama/ollama/fs/ggml"
)

// TestGGUFReadBack writes a model and reads it back with Ollama's own GGUF
// decoder: every key-value, every tensor's shape, type and offset, and the
// alignment of the data section.
func TestGGUFReadBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		size Size
	}{
		{"tiny-f32", Size{}},
		{"q8", Size{Layers: 2, Dim: 512, FF: 256, Quant: TypeQ8_0}},
		{"q4", Size{Layers: 3, Dim: 512, FF: 96, Quant: TypeQ4_0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, _ := ParseScript("<think>\nOne two.\n\nThree four.\n\n</think>\n\nFive.")
			m, err := Build(Spec{Family: "qwen3", Script: sc, Size: tc.size})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "m.gguf")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.WriteGGUF(f); err != nil {
				t.Fatal(err)
			}
			f.Close()
			f, _ = os.Open(path)
			defer f.Close()
			g, err := ggml.Decode(f, -1)
			if err != nil {
				t.Fatalf("ollama cannot decode the GGUF: %v", err)
			}
			kv := g.KV()
			want := m.KVs()
			// Ollama's decoder adds general.parameter_count to what it read.
			if n := kv.Len() - 1; n != len(want) {
				t.Errorf("read %d keys, wrote %d", n, len(want))
			}
			for _, w := range want {
				got := kv.Value(w.Key)
				switch wv := w.Value.(type) {
				case []string:
					gs := kv.Strings(w.Key)
					if !slices.Equal(gs, wv) {
						t.Errorf("%s: read %d strings, wrote %d", w.Key, len(gs), len(wv))
					}
				case []float32:
					if gs := kv.Floats(w.Key); !slices.Equal(gs, wv) {
						t.Errorf("%s: read %d floats, wrote %d", w.Key, len(gs), len(wv))
					}
				case []int32:
					if gs := kv.Ints(w.Key); !slices.Equal(gs, wv) {
						t.Errorf("%s: read %d ints, wrote %d", w.Key, len(gs), len(wv))
					}
				default:
					if got != w.Value {
						t.Errorf("%s = %v (%T), want %v (%T)", w.Key, got, got, w.Value, w.Value)
					}
				}
			}
			if kv.Architecture() != "llama" || kv.EmbeddingLength() < uint64(m.VocabSize()) {
				t.Errorf("architecture %s, embedding %d < vocab %d", kv.Architecture(), kv.EmbeddingLength(), m.VocabSize())
			}
			ts := g.Tensors()
			if ts.Offset%Alignment != 0 {
				t.Errorf("data section at %d is not %d-aligned", ts.Offset, Alignment)
			}
			wantT := m.Tensors()
			offs := tensorOffsets(wantT)
			items := ts.Items()
			if len(items) != len(wantT) {
				t.Fatalf("read %d tensors, wrote %d", len(items), len(wantT))
			}
			for i, gt := range items {
				wt := wantT[i]
				if gt.Name != wt.Name || gt.Kind != uint32(wt.Type) || gt.Offset != offs[i] || gt.Size() != wt.Size() {
					t.Errorf("tensor %d: read %s kind %d offset %d size %d; wrote %s kind %d offset %d size %d",
						i, gt.Name, gt.Kind, gt.Offset, gt.Size(), wt.Name, wt.Type, offs[i], wt.Size())
				}
				if gt.Offset%Alignment != 0 {
					t.Errorf("tensor %s at %d is not aligned", gt.Name, gt.Offset)
				}
			}
			fi, _ := os.Stat(path)
			last := wantT[len(wantT)-1]
			if end := ts.Offset + offs[len(offs)-1] + last.Size(); uint64(fi.Size()) != end {
				t.Errorf("file is %d bytes, data ends at %d", fi.Size(), end)
			}
		})
	}
}

// TestGGUFWeights checks the bigram weights: the embedding is one-hot and the
// output row of each token's successor holds the gain at that token.
func TestGGUFWeights(t *testing.T) {
	sc, _ := ParseScript("<think>\nAlpha beta.\n\n</think>\n\nGamma.")
	m, err := Build(Spec{Family: "qwen3", Script: sc})
	if err != nil {
		t.Fatal(err)
	}
	ts := m.Tensors()
	var emb, out bytes.Buffer
	ts[0].Data(&emb)
	ts[2].Data(&out)
	d := m.dim
	f32 := func(b []byte, i int) float32 { return float32frombits(b[4*i : 4*i+4]) }
	for tok := 0; tok < m.VocabSize(); tok++ {
		for j := 0; j < d; j++ {
			v := f32(emb.Bytes(), tok*d+j)
			if (j == tok) != (v == 1) {
				t.Fatalf("embedding[%d][%d] = %v", tok, j, v)
			}
		}
		next := m.Next[tok]
		if f32(out.Bytes(), next*d+tok) <= 0 {
			t.Fatalf("output row of %d has no weight at %d", next, tok)
		}
	}
}
