package scripted

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// GGUF value types.
const (
	ggufUint8   uint32 = 0
	ggufInt8    uint32 = 1
	ggufUint16  uint32 = 2
	ggufInt16   uint32 = 3
	ggufUint32  uint32 = 4
	ggufInt32   uint32 = 5
	ggufFloat32 uint32 = 6
	ggufBool    uint32 = 7
	ggufString  uint32 = 8
	ggufArray   uint32 = 9
	ggufUint64  uint32 = 10
	ggufInt64   uint32 = 11
	ggufFloat64 uint32 = 12
)

// TensorType is a ggml tensor type.
type TensorType uint32

const (
	TypeF32  TensorType = 0
	TypeF16  TensorType = 1
	TypeQ4_0 TensorType = 2
	TypeQ8_0 TensorType = 8
)

func (t TensorType) String() string {
	switch t {
	case TypeF32:
		return "F32"
	case TypeF16:
		return "F16"
	case TypeQ4_0:
		return "Q4_0"
	case TypeQ8_0:
		return "Q8_0"
	}
	return fmt.Sprintf("type%d", uint32(t))
}

// blockSize and typeSize give a type's elements per block and bytes per block.
func (t TensorType) blockSize() uint64 {
	switch t {
	case TypeQ4_0, TypeQ8_0:
		return 32
	}
	return 1
}

func (t TensorType) typeSize() uint64 {
	switch t {
	case TypeF32:
		return 4
	case TypeF16:
		return 2
	case TypeQ4_0:
		return 18 // f16 scale + 16 bytes of nibbles
	case TypeQ8_0:
		return 34 // f16 scale + 32 int8
	}
	return 0
}

// Tensor is one tensor of a GGUF file. Shape is in ggml order: Shape[0] is
// the length of a row. Data writes exactly Size() bytes; nil writes zeros,
// which is an all-zero tensor in every supported type.
type Tensor struct {
	Name  string
	Type  TensorType
	Shape []uint64
	Data  func(w io.Writer) error
}

// Size is the tensor's size in bytes.
func (t *Tensor) Size() uint64 {
	n := uint64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n / t.Type.blockSize() * t.Type.typeSize()
}

// KV is one metadata key-value pair. Value is one of uint32, int32, uint64,
// float32, bool, string, []string, []float32, []int32.
type KV struct {
	Key   string
	Value any
}

// Alignment is the GGUF data alignment rein writes (the format's default).
const Alignment = 32

// WriteGGUF writes a GGUF v3 file: header, metadata, tensor infos, then the
// tensor data, each tensor aligned to Alignment bytes.
func WriteGGUF(w io.Writer, kvs []KV, tensors []*Tensor) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := &countWriter{w: bw}
	le := binary.LittleEndian
	put := func(v any) {
		if cw.err == nil {
			cw.err = binary.Write(cw, le, v)
		}
	}
	putString := func(s string) {
		put(uint64(len(s)))
		if cw.err == nil {
			_, cw.err = io.WriteString(cw, s)
		}
	}

	put([]byte("GGUF"))
	put(uint32(3))
	put(uint64(len(tensors)))
	put(uint64(len(kvs)))
	for _, kv := range kvs {
		putString(kv.Key)
		switch v := kv.Value.(type) {
		case uint32:
			put(ggufUint32)
			put(v)
		case int32:
			put(ggufInt32)
			put(v)
		case uint64:
			put(ggufUint64)
			put(v)
		case float32:
			put(ggufFloat32)
			put(v)
		case bool:
			put(ggufBool)
			put(v)
		case string:
			put(ggufString)
			putString(v)
		case []string:
			put(ggufArray)
			put(ggufString)
			put(uint64(len(v)))
			for _, s := range v {
				putString(s)
			}
		case []float32:
			put(ggufArray)
			put(ggufFloat32)
			put(uint64(len(v)))
			put(v)
		case []int32:
			put(ggufArray)
			put(ggufInt32)
			put(uint64(len(v)))
			put(v)
		default:
			return fmt.Errorf("gguf: key %s: unsupported value type %T", kv.Key, kv.Value)
		}
	}

	offsets := tensorOffsets(tensors)
	for i, t := range tensors {
		putString(t.Name)
		put(uint32(len(t.Shape)))
		for _, d := range t.Shape {
			put(d)
		}
		put(uint32(t.Type))
		put(offsets[i])
	}
	cw.pad(Alignment)

	for i, t := range tensors {
		if cw.err != nil {
			break
		}
		start := cw.n
		if t.Data != nil {
			cw.err = t.Data(cw)
		} else {
			cw.zeros(t.Size())
		}
		if cw.err == nil && cw.n-start != t.Size() {
			return fmt.Errorf("gguf: tensor %s: wrote %d bytes, want %d", t.Name, cw.n-start, t.Size())
		}
		if i < len(tensors)-1 {
			cw.pad(Alignment)
		}
	}
	if cw.err != nil {
		return fmt.Errorf("gguf: %w", cw.err)
	}
	return bw.Flush()
}

// tensorOffsets gives each tensor's offset relative to the start of the data section.
func tensorOffsets(tensors []*Tensor) []uint64 {
	out := make([]uint64, len(tensors))
	var off uint64
	for i, t := range tensors {
		out[i] = off
		off = alignUp(off+t.Size(), Alignment)
	}
	return out
}

func alignUp(n, a uint64) uint64 { return (n + a - 1) / a * a }

type countWriter struct {
	w   io.Writer
	n   uint64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += uint64(n)
	return n, err
}

var zeroBuf [64 << 10]byte

func (c *countWriter) zeros(n uint64) {
	for n > 0 && c.err == nil {
		k := min(n, uint64(len(zeroBuf)))
		_, c.err = c.Write(zeroBuf[:k])
		n -= k
	}
}

func (c *countWriter) pad(a uint64) {
	c.zeros(alignUp(c.n, a) - c.n)
}

// f32Rows returns a Data function for an F32 tensor of rows×cols given by at(row, col),
// written row by row without holding the whole tensor in memory.
func f32Rows(rows, cols int, at func(r int, row []float32)) func(io.Writer) error {
	return func(w io.Writer) error {
		row := make([]float32, cols)
		buf := make([]byte, 4*cols)
		for r := 0; r < rows; r++ {
			clear(row)
			at(r, row)
			for i, v := range row {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		return nil
	}
}
