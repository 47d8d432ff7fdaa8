package scripted

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Script is what a scripted model says after the generation prompt.
type Script struct {
	// Thinking is the thinking text, without tags. Empty for a model that
	// answers at once.
	Thinking string
	// Loop makes the thinking never close: after its last piece it starts
	// over from its first, a runaway reasoner.
	Loop bool
	// Answer follows the closing tag.
	Answer string
}

// ParseScript reads a script written as text with tags, for example
// "<think>\nStep one.\n\nStep two.\n\n</think>\n\nAnswer." or the same with
// [THINK] and [/THINK]. Text without tags is an answer alone. A script that
// opens its thinking and never closes it loops.
func ParseScript(text string) (Script, error) {
	for _, tags := range [][2]string{{"<think>", "</think>"}, {"[THINK]", "[/THINK]"}} {
		open, close := tags[0], tags[1]
		if !strings.HasPrefix(text, open) {
			continue
		}
		rest := text[len(open):]
		i := strings.Index(rest, close)
		if i < 0 {
			return Script{Thinking: rest, Loop: true}, validateText(rest)
		}
		s := Script{Thinking: rest[:i], Answer: rest[i+len(close):]}
		if strings.Contains(s.Answer, open) || strings.Contains(s.Answer, close) {
			return Script{}, fmt.Errorf("script: a thinking tag appears in the answer")
		}
		return s, validateText(s.Thinking + s.Answer)
	}
	if strings.Contains(text, "<think>") || strings.Contains(text, "[THINK]") {
		return Script{}, fmt.Errorf("script: the thinking tag must open the script")
	}
	return Script{Answer: text}, validateText(text)
}

func validateText(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("script: text is not valid UTF-8")
	}
	return nil
}

// splitPieces cuts text into token pieces: a word with the whitespace that
// follows it, leading whitespace joined to the first word. Runs of CJK
// characters, which have no spaces, are cut every few characters.
func splitPieces(text string) []string {
	var out []string
	var cur strings.Builder
	hasWord, lastSpace, cjk := false, false, 0
	for _, r := range text {
		space := unicode.IsSpace(r)
		if !space && hasWord && (lastSpace || isCJK(r) && unicode.IsLetter(r) && cjk >= 2) {
			out = append(out, cur.String())
			cur.Reset()
			hasWord, cjk = false, 0
		}
		cur.WriteRune(r)
		lastSpace = space
		if !space {
			hasWord = true
			if isCJK(r) {
				cjk++
			} else {
				cjk = 0
			}
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) || (r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef)
}

// uniquePieces makes every piece a string no earlier piece used, because
// each token of a bigram machine has one successor, and a duplicate token
// string makes llama.cpp's vocabulary loader abort the server. A repeated
// piece is split in two at a new place, or joined to the next piece. used
// holds the strings taken so far and is updated.
func uniquePieces(pieces []string, used map[string]bool) ([]string, error) {
	var out []string
	for i := 0; i < len(pieces); i++ {
		p := pieces[i]
		if !used[p] {
			used[p] = true
			out = append(out, p)
			continue
		}
		if a, b, ok := splitUnused(p, used); ok {
			used[a], used[b] = true, true
			out = append(out, a, b)
			continue
		}
		joined := false
		for j := i + 1; j < len(pieces) && j <= i+3; j++ {
			p += pieces[j]
			if !used[p] {
				used[p] = true
				out = append(out, p)
				i = j
				joined = true
				break
			}
			if a, b, ok := splitUnused(p, used); ok {
				used[a], used[b] = true, true
				out = append(out, a, b)
				i = j
				joined = true
				break
			}
		}
		// Last resort: join it to the piece before.
		if !joined && len(out) > 0 {
			if q := out[len(out)-1] + pieces[i]; !used[q] {
				used[q] = true
				out[len(out)-1] = q
				joined = true
			}
		}
		if !joined {
			return nil, fmt.Errorf("script: the piece %q repeats too often to be made unique; vary the text around it", pieces[i])
		}
	}
	return out, nil
}

// splitUnused cuts p in two at a rune boundary where neither half is used.
func splitUnused(p string, used map[string]bool) (string, string, bool) {
	for i := range p {
		if i == 0 {
			continue
		}
		a, b := p[:i], p[i:]
		if a != b && !used[a] && !used[b] {
			return a, b, true
		}
	}
	return "", "", false
}
