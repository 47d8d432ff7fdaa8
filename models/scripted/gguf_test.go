package scripted

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ollama/ollama/fs/gguf"
)

// TestGGUFReadBack writes a model and reads it back with Ollama's own GGUF
// decoder: every key-value, every tensor's name, shape, type, offset and
// size, the alignment of the data section and the file size; then loads it
// the way the server does (gguf.ReadModel).
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
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			g, err := gguf.Open(path)
			if err != nil {
				t.Fatalf("ollama cannot open the GGUF: %v", err)
			}
			defer g.Close()
			if string(g.Magic[:]) != "GGUF" || g.Version != 3 {
				t.Errorf("header %q version %d, want GGUF version 3", g.Magic[:], g.Version)
			}

			// Key-values: the same keys in the order written, each with the
			// value and the Go type written.
			want := m.KVs()
			if n := g.NumKeyValues(); n != len(want) {
				t.Errorf("header says %d keys, wrote %d", n, len(want))
			}
			var read []gguf.KeyValue
			for _, kv := range g.KeyValues() {
				read = append(read, kv)
			}
			if err := g.Err(); err != nil {
				t.Fatalf("ollama cannot decode the key-values: %v", err)
			}
			if len(read) != len(want) {
				t.Errorf("read %d keys, wrote %d", len(read), len(want))
			}
			for i, w := range want {
				if i >= len(read) {
					break
				}
				if read[i].Key != w.Key {
					t.Errorf("key %d is %s, wrote %s", i, read[i].Key, w.Key)
					continue
				}
				got := read[i].Any()
				switch wv := w.Value.(type) {
				case []string:
					if gs, ok := got.([]string); !ok || !slices.Equal(gs, wv) {
						t.Errorf("%s: read %d strings (%T), wrote %d", w.Key, len(gs), got, len(wv))
					}
				case []float32:
					if gs, ok := got.([]float32); !ok || !slices.Equal(gs, wv) {
						t.Errorf("%s: read %d floats (%T), wrote %d", w.Key, len(gs), got, len(wv))
					}
				case []int32:
					if gs, ok := got.([]int32); !ok || !slices.Equal(gs, wv) {
						t.Errorf("%s: read %d ints (%T), wrote %d", w.Key, len(gs), got, len(wv))
					}
				default:
					if got != w.Value {
						t.Errorf("%s = %v (%T), want %v (%T)", w.Key, got, got, w.Value, w.Value)
					}
				}
			}
			arch, emb := g.KeyValue("general.architecture").String(), g.KeyValue("embedding_length").Uint()
			if arch != "llama" || emb < uint64(m.VocabSize()) {
				t.Errorf("architecture %s, embedding %d < vocab %d", arch, emb, m.VocabSize())
			}

			// Tensor infos: name, type, shape, offset in the data section
			// and size, in the order written.
			wantT := m.Tensors()
			offs := tensorOffsets(wantT)
			if n := g.NumTensors(); n != len(wantT) {
				t.Errorf("header says %d tensors, wrote %d", n, len(wantT))
			}
			var items []gguf.TensorInfo
			for _, ti := range g.TensorInfos() {
				items = append(items, ti)
			}
			if err := g.Err(); err != nil {
				t.Fatalf("ollama cannot decode the tensor infos: %v", err)
			}
			if len(items) != len(wantT) {
				t.Fatalf("read %d tensors, wrote %d", len(items), len(wantT))
			}
			for i, gt := range items {
				wt := wantT[i]
				if gt.Name != wt.Name || uint32(gt.Type) != uint32(wt.Type) || !slices.Equal(gt.Shape, wt.Shape) ||
					gt.Offset != offs[i] || gt.NumBytes() != int64(wt.Size()) {
					t.Errorf("tensor %d: read %s type %d shape %v offset %d size %d; wrote %s type %d shape %v offset %d size %d",
						i, gt.Name, gt.Type, gt.Shape, gt.Offset, gt.NumBytes(), wt.Name, wt.Type, wt.Shape, offs[i], wt.Size())
				}
				if gt.Offset%Alignment != 0 {
					t.Errorf("tensor %s at %d is not aligned", gt.Name, gt.Offset)
				}
			}

			// The data section: gguf.File keeps its offset to itself, but
			// TensorReader hands out a section of the file at that offset
			// plus the tensor's, so each tensor's section gives it back.
			dataOff := int64(-1)
			for i, wt := range wantT {
				_, r, err := g.TensorReader(wt.Name)
				if err != nil {
					t.Fatalf("tensor %s: %v", wt.Name, err)
				}
				sr, ok := r.(*io.SectionReader)
				if !ok {
					t.Fatalf("tensor %s: TensorReader gave a %T, not an *io.SectionReader: find the data section offset another way", wt.Name, r)
				}
				_, off, n := sr.Outer()
				if i == 0 {
					dataOff = off - int64(offs[0])
				}
				if off != dataOff+int64(offs[i]) || n != int64(wt.Size()) {
					t.Errorf("tensor %s: data at %d, %d bytes; want %d, %d bytes", wt.Name, off, n, dataOff+int64(offs[i]), wt.Size())
				}
				var wb bytes.Buffer
				if wt.Data != nil {
					if err := wt.Data(&wb); err != nil {
						t.Fatal(err)
					}
				} else {
					wb.Write(make([]byte, wt.Size()))
				}
				if rb, err := io.ReadAll(r); err != nil || !bytes.Equal(rb, wb.Bytes()) {
					t.Errorf("tensor %s: ollama reads other bytes than were written (%v)", wt.Name, err)
				}
			}
			if dataOff%Alignment != 0 {
				t.Errorf("data section at %d is not %d-aligned", dataOff, Alignment)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			last := wantT[len(wantT)-1]
			if end := uint64(dataOff) + offs[len(offs)-1] + last.Size(); uint64(fi.Size()) != end {
				t.Errorf("file is %d bytes, data ends at %d", fi.Size(), end)
			}

			// What the server loads: the same tensors, with the parameter
			// count it adds as general.parameter_count.
			lm, err := gguf.ReadModel(path, -1)
			if err != nil {
				t.Fatalf("ollama cannot load the GGUF: %v", err)
			}
			var params, bytesT uint64
			for _, wt := range wantT {
				n := uint64(1)
				for _, d := range wt.Shape {
					n *= d
				}
				params += n
				bytesT += wt.Size()
			}
			if got := lm.KV().KeyValue("general.parameter_count").Uint(); got != params || lm.KV().ParameterCount() != params {
				t.Errorf("parameter count %d (%d), want %d", got, lm.KV().ParameterCount(), params)
			}
			if len(lm.KV().Values()) != len(want)+1 {
				t.Errorf("loaded %d keys, wrote %d plus general.parameter_count", len(lm.KV().Values()), len(want))
			}
			if lm.FileSize() != uint64(fi.Size()) || lm.Tensors().Size() != bytesT || len(lm.Tensors().Items()) != len(wantT) {
				t.Errorf("loaded %d bytes, %d tensors of %d bytes; want %d, %d of %d",
					lm.FileSize(), len(lm.Tensors().Items()), lm.Tensors().Size(), fi.Size(), len(wantT), bytesT)
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
