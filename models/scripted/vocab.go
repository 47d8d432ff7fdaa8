package scripted

import (
	"container/heap"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Token types, as in llama.cpp's GGUF vocabularies.
const (
	TokenNormal      int32 = 1
	TokenUnknown     int32 = 2
	TokenControl     int32 = 3
	TokenUserDefined int32 = 4
	TokenByte        int32 = 6
)

// spaceMark is SentencePiece's visible space.
const spaceMark = "\u2581"

// Vocab is a SentencePiece (llama) vocabulary. Token strings are unique.
type Vocab struct {
	Tokens []string
	Scores []float32
	Types  []int32
	ids    map[string]int
	// specials are the user-defined and control tokens matched in raw text,
	// longest first.
	specials []string
}

func newVocab() *Vocab {
	v := &Vocab{ids: map[string]int{}}
	v.add("<unk>", TokenUnknown, 0)
	v.add("<s>", TokenControl, 0)
	v.add("</s>", TokenControl, 0)
	for b := 0; b < 256; b++ {
		v.add(fmt.Sprintf("<0x%02X>", b), TokenByte, 0)
	}
	return v
}

// add adds a token and returns its id; an existing string keeps its id.
func (v *Vocab) add(s string, typ int32, score float32) int {
	if id, ok := v.ids[s]; ok {
		return id
	}
	id := len(v.Tokens)
	v.Tokens = append(v.Tokens, s)
	v.Types = append(v.Types, typ)
	v.Scores = append(v.Scores, score)
	v.ids[s] = id
	if typ == TokenControl || typ == TokenUserDefined {
		v.specials = append(v.specials, s)
		sort.SliceStable(v.specials, func(i, j int) bool { return len(v.specials[i]) > len(v.specials[j]) })
	}
	return id
}

// addPiece adds a text piece and every prefix of it, as normal tokens whose
// score is their length, so that the encoder prefers longer merges.
func (v *Vocab) addPiece(text string) int {
	s := escape(text)
	id := -1
	for i := range s {
		if i == 0 {
			continue
		}
		v.add(s[:i], TokenNormal, float32(i))
	}
	id = v.add(s, TokenNormal, float32(len(s)))
	return id
}

// ID returns the id of a token string.
func (v *Vocab) ID(s string) (int, bool) {
	id, ok := v.ids[s]
	return id, ok
}

func escape(s string) string   { return strings.ReplaceAll(s, " ", spaceMark) }
func unescape(s string) string { return strings.ReplaceAll(s, spaceMark, " ") }

// Decode turns ids into text as llama.cpp's token_to_piece does with special
// tokens rendered.
func (v *Vocab) Decode(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(v.Piece(id))
	}
	return b.String()
}

// Piece is the text of one token.
func (v *Vocab) Piece(id int) string {
	s := v.Tokens[id]
	switch v.Types[id] {
	case TokenByte:
		var b byte
		fmt.Sscanf(s, "<0x%02X>", &b)
		return string([]byte{b})
	case TokenNormal:
		return unescape(s)
	}
	return s
}

// Encode tokenizes text as llama.cpp's SentencePiece tokenizer does with
// parse_special on, no BOS and add_space_prefix off: special tokens are split
// out first, then each fragment is merged pair by pair, highest score first.
func (v *Vocab) Encode(text string) []int {
	var out []int
	for len(text) > 0 {
		pos, tok := -1, ""
		for _, s := range v.specials {
			if i := strings.Index(text, s); i >= 0 && (pos < 0 || i < pos) {
				pos, tok = i, s
			}
		}
		if pos < 0 {
			out = v.encodeFragment(text, out)
			break
		}
		if pos > 0 {
			out = v.encodeFragment(text[:pos], out)
		}
		out = append(out, v.ids[tok])
		text = text[pos+len(tok):]
	}
	return out
}

type symbol struct {
	text       string
	prev, next int
}

type bigram struct {
	left, right int
	score       float32
	size        int
}

type bigramQueue []bigram

func (q bigramQueue) Len() int { return len(q) }
func (q bigramQueue) Less(i, j int) bool {
	if q[i].score != q[j].score {
		return q[i].score > q[j].score
	}
	return q[i].left < q[j].left
}
func (q bigramQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *bigramQueue) Push(x any)   { *q = append(*q, x.(bigram)) }
func (q *bigramQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// encodeFragment is llama.cpp's llm_tokenizer_spm_session::tokenize.
func (v *Vocab) encodeFragment(text string, out []int) []int {
	text = escape(text)
	var syms []symbol
	for i := 0; i < len(text); {
		_, n := utf8.DecodeRuneInString(text[i:])
		syms = append(syms, symbol{text: text[i : i+n], prev: len(syms) - 1, next: len(syms) + 1})
		i += n
	}
	if len(syms) == 0 {
		return out
	}
	syms[len(syms)-1].next = -1
	q := &bigramQueue{}
	try := func(l, r int) {
		if l < 0 || r < 0 {
			return
		}
		s := syms[l].text + syms[r].text
		id, ok := v.ids[s]
		if !ok {
			return
		}
		heap.Push(q, bigram{left: l, right: r, score: v.Scores[id], size: len(s)})
	}
	for i := 1; i < len(syms); i++ {
		try(i-1, i)
	}
	for q.Len() > 0 {
		b := heap.Pop(q).(bigram)
		l, r := &syms[b.left], &syms[b.right]
		if l.text == "" || r.text == "" || len(l.text)+len(r.text) != b.size {
			continue
		}
		l.text += r.text
		r.text = ""
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		try(l.prev, b.left)
		try(b.left, l.next)
	}
	// Every merge forms a vocabulary string, so a symbol that is not a token
	// is a single character outside the vocabulary: byte fallback.
	for i := 0; i >= 0; i = syms[i].next {
		s := syms[i].text
		if id, ok := v.ids[s]; ok {
			out = append(out, id)
			continue
		}
		for j := 0; j < len(s); j++ {
			out = append(out, v.ids[fmt.Sprintf("<0x%02X>", s[j])])
		}
	}
	return out
}
