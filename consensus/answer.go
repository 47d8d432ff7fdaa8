// Package consensus is cross-lingual self-consistency: it runs one chain of
// reasoning per language (or per sample), reads each chain's final answer,
// normalises it so that the same answer written differently ("42",
// "forty-two", "сорок два", "四十二", "\boxed{42}") counts as one, and takes
// the answer most chains agree on.
//
// It is a package of its own, above runner and below cmd/rein and bench,
// because both `rein run --consensus` and a bench axis use it, and the
// answer reading (pure text functions) needs nothing of the runner.
package consensus

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// answerMarkers introduce a final answer, in the languages rein reasons in.
// They are matched case-insensitively; the text after the last one is the
// answer.
var answerMarkers = []string{
	"final answer:", "the answer is", "answer:",
	"réponse finale :", "réponse finale:", "la réponse est", "réponse :", "réponse:",
	"respuesta final:", "la respuesta es", "respuesta:",
	"окончательный ответ:", "ответ:",
	"antwort:", "risposta:", "resposta:",
	"最终答案：", "最终答案:", "答案是", "答案：", "答案:", "答：",
}

var boldRE = regexp.MustCompile(`\*\*([^*\n]+)\*\*|__([^_\n]+)__`)

// FinalAnswer returns the part of an answer that holds its result: the
// content of the last \boxed{…}; else the text after the last answer
// marker ("Answer:", "La réponse est", "Ответ:", "答案是", …); else the last
// non-empty line. A bold span (**…**) in what is left narrows it further.
func FinalAnswer(answer string) string {
	s := strings.TrimSpace(answer)
	if box, ok := lastBoxed(normaliseLatex(s)); ok {
		return strings.TrimSpace(box)
	}
	lower := strings.ToLower(s)
	best, end := -1, 0
	for _, m := range answerMarkers {
		if i := strings.LastIndex(lower, m); i >= 0 && i+len(m) > best {
			best, end = i+len(m), i+len(m)
		}
	}
	if best >= 0 {
		// ToLower keeps byte offsets for the scripts of the markers.
		if len(lower) == len(s) {
			s = s[end:]
		}
	}
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		lines := strings.Split(s, "\n")
		for j := len(lines) - 1; j >= 0; j-- {
			if t := strings.TrimSpace(lines[j]); t != "" {
				s = t
				break
			}
		}
	}
	if ms := boldRE.FindAllStringSubmatch(s, -1); len(ms) > 0 {
		m := ms[len(ms)-1]
		s = m[1] + m[2]
	}
	return strings.TrimSpace(s)
}

// Normalise returns the vote key of an answer: its final answer
// (FinalAnswer) read as a number when it holds one (Number: digits or
// words, units and thousands separators dropped), formatted plainly ("42",
// "0.75", "-3"); otherwise the short answer itself, lower-cased, without
// markdown, quotes, LaTeX wrappers and surrounding punctuation, its white
// space collapsed. An answer with nothing in it gives "".
func Normalise(answer string) string {
	fa := FinalAnswer(answer)
	if x, ok := Number(fa); ok {
		return formatNumber(x)
	}
	return normaliseText(fa)
}

func formatNumber(x float64) string {
	if x == 0 {
		return "0" // not "-0"
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

var (
	latexWrapRE = regexp.MustCompile(`\\(?:text|textbf|mathrm|mathbf|operatorname)\s*\{([^{}]*)\}`)
	markdownR   = strings.NewReplacer("**", "", "__", "", "`", "", "$", "", `\(`, "", `\)`, "", `\[`, "", `\]`, "")
)

func normaliseText(s string) string {
	s = latexWrapRE.ReplaceAllString(s, "$1")
	s = markdownR.Replace(s)
	s = strings.ToLower(s)
	s = strings.Join(strings.Fields(s), " ")
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsPunct(r) || unicode.IsSpace(r) || unicode.IsSymbol(r) || r == '*' || r == '_'
	})
}
