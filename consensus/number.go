package consensus

// The number reader below is shared: bench scores answers against a suite
// with it (bench.FinalNumber), and consensus compares answers with each
// other, so both read numbers the same way.

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Number returns the final number of a text, the way a reader finds the
// result at the end of a worked answer:
//   - the content of the last LaTeX \boxed{…}, when there is one;
//   - otherwise the last number in the text, written in digits ("1,234",
//     "1 234", "-3.5", "3,5", "3/4", "\frac{3}{4}") or in words: English
//     ("fifty-one", "three hundred and five"), and the simple number words
//     of French, Spanish, Russian and Chinese (0 to 20, the tens, hundred,
//     thousand; "quarante-deux", "сорок два", "四十二").
//
// A lone "one" (un, une, uno, una, один, a single Chinese numeral) is often
// a pronoun or part of a phrase ("this one", 一些), and "once", "cent(s)",
// "sept" and "mil" are also English words; alone, such a word counts only
// when the text holds no other number. Digits glued to a preceding letter
// ("qwen3", "CO2") are not numbers.
func Number(text string) (float64, bool) {
	text = normaliseLatex(text)
	if box, ok := lastBoxed(text); ok {
		if x, ok := lastNumber(box); ok {
			return x, true
		}
	}
	return lastNumber(text)
}

// LastBoxed returns the content of the last LaTeX \boxed{…} in s.
func LastBoxed(s string) (string, bool) { return lastBoxed(s) }

// NumberLiteral reads a number written alone, as a suite writes an
// expected answer: "42", "-3.5", "1,234", "3/4"; false for anything else.
func NumberLiteral(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if x, err := strconv.ParseFloat(s, 64); err == nil {
		return x, true
	}
	cands := digitNumbers(s)
	if len(cands) != 1 || cands[0].start != 0 || cands[0].end != len(s) {
		return 0, false
	}
	return cands[0].val, true
}

var (
	fracRE      = regexp.MustCompile(`\\[dt]?frac\s*\{\s*(-?\d+(?:\.\d+)?)\s*\}\s*\{\s*(\d+(?:\.\d+)?)\s*\}`)
	latexSepRE  = regexp.MustCompile(`(\d)\\[,!;: ](\d)`)
	latexCommaR = strings.NewReplacer("{,}", ",", "{.}", ".")
)

func normaliseLatex(s string) string {
	if !strings.Contains(s, `\`) && !strings.Contains(s, "{") {
		return s
	}
	s = latexCommaR.Replace(s)
	s = latexSepRE.ReplaceAllString(s, "$1$2")
	return fracRE.ReplaceAllString(s, " $1/$2 ")
}

// lastBoxed returns the content of the last \boxed{…} (braces balanced).
func lastBoxed(s string) (string, bool) {
	i := strings.LastIndex(s, `\boxed{`)
	if i < 0 {
		return "", false
	}
	start := i + len(`\boxed{`)
	depth := 1
	for j := start; j < len(s); j++ {
		switch s[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return s[start:j], true
			}
		}
	}
	return s[start:], true
}

type numCand struct {
	start, end int
	val        float64
	weak       bool
}

func lastNumber(s string) (float64, bool) {
	var best, bestWeak *numCand
	for _, cs := range [][]numCand{digitNumbers(s), wordNumbers(s), hanNumbers(s)} {
		for i := range cs {
			c := &cs[i]
			if c.weak {
				if bestWeak == nil || c.start > bestWeak.start {
					bestWeak = c
				}
			} else if best == nil || c.start > best.start {
				best = c
			}
		}
	}
	switch {
	case best != nil:
		return best.val, true
	case bestWeak != nil:
		return bestWeak.val, true
	}
	return 0, false
}

// digitRE matches a number in digits: thousands groups with a comma, a
// space or a (narrow) no-break space ("1 234" as French writes it),
// thousands groups with dots ("1.234.567"), a decimal point or comma, and
// a fraction.
var digitRE = regexp.MustCompile(`\d{1,3}(?:[, \x{00A0}\x{202F}]\d{3})+(?:[.,]\d+)?|\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?|\d+(?:[.,]\d+)?(?:/\d+(?:\.\d+)?)?`)

func digitNumbers(s string) []numCand {
	var out []numCand
	for _, m := range digitRE.FindAllStringIndex(s, -1) {
		start, end := m[0], m[1]
		if start > 0 {
			r, n := utf8.DecodeLastRuneInString(s[:start])
			if unicode.IsLetter(r) || r == '_' {
				continue // qwen3, CO2, x_1
			}
			if (r == '.' || r == ',') && start-n > 0 {
				if p, _ := utf8.DecodeLastRuneInString(s[:start-n]); unicode.IsDigit(p) {
					continue // the tail of "1.2.3"
				}
			}
		}
		val, ok := digitValue(s[start:end])
		if !ok {
			continue
		}
		if start > 0 {
			r, n := utf8.DecodeLastRuneInString(s[:start])
			if r == '-' || r == '−' {
				p, _ := utf8.DecodeLastRuneInString(s[:start-n])
				if start-n == 0 || !(unicode.IsLetter(p) || unicode.IsDigit(p) || p == ')') {
					val, start = -val, start-n
				}
			}
		}
		out = append(out, numCand{start: start, end: end, val: val})
	}
	return out
}

func digitValue(t string) (float64, bool) {
	if num, den, ok := strings.Cut(t, "/"); ok {
		a, ok1 := digitValue(num)
		b, ok2 := digitValue(den)
		if !ok1 || !ok2 || b == 0 {
			return 0, false
		}
		return a / b, true
	}
	t = strings.NewReplacer("\u00a0", "", "\u202f", "", " ", "").Replace(t)
	dots, commas := strings.Count(t, "."), strings.Count(t, ",")
	switch {
	case dots > 1: // 1.234.567(,89)
		t = strings.ReplaceAll(t, ".", "")
		t = strings.ReplaceAll(t, ",", ".")
	case commas > 1 || (commas == 1 && dots == 1): // 1,234,567 or 1,234.5
		t = strings.ReplaceAll(t, ",", "")
	case commas == 1:
		// 1,234 is a thousands group; 3,5 is a decimal comma.
		if i := strings.IndexByte(t, ','); len(t)-i-1 == 3 {
			t = strings.ReplaceAll(t, ",", "")
		} else {
			t = strings.ReplaceAll(t, ",", ".")
		}
	}
	x, err := strconv.ParseFloat(t, 64)
	return x, err == nil && !math.IsInf(x, 0)
}

type wordKind int

const (
	wUnit    wordKind = iota // 0..19
	wTen                     // 20, 30, … 90
	wHundred                 // multiplies what comes before, or 100 alone
	wScale                   // thousand, million
	wAnd                     // and, et, y: joins parts of one number
	wNeg                     // minus
)

type numWord struct {
	val  float64
	kind wordKind
	weak bool
}

var numberWords = func() map[string]numWord {
	m := map[string]numWord{}
	units := func(words ...string) {
		for i, w := range words {
			for _, form := range strings.Split(w, "|") {
				m[form] = numWord{float64(i), wUnit, false}
			}
		}
	}
	tens := func(words ...string) {
		for i, w := range words {
			for _, form := range strings.Split(w, "|") {
				m[form] = numWord{float64(20 + 10*i), wTen, false}
			}
		}
	}
	units("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
	tens("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
	units("zéro", "un|une", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
		"onze", "douze", "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf")
	tens("vingt", "trente", "quarante", "cinquante", "soixante", "soixante-dix", "quatrevingt", "quatre-vingt-dix")
	units("cero", "un|uno|una", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez",
		"once", "doce", "trece", "catorce", "quince", "dieciséis", "diecisiete", "dieciocho", "diecinueve")
	tens("veinte", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa")
	for i, w := range []string{"veintiuno", "veintidós", "veintitrés", "veinticuatro", "veinticinco",
		"veintiséis", "veintisiete", "veintiocho", "veintinueve"} {
		m[w] = numWord{float64(21 + i), wUnit, false}
	}
	units("ноль|нуль", "один|одна|одно", "два|две", "три", "четыре", "пять", "шесть", "семь",
		"восемь", "девять", "десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать",
		"шестнадцать", "семнадцать", "восемнадцать", "девятнадцать")
	tens("двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят", "девяносто")
	for _, w := range []string{"hundred", "cent", "cents", "cien", "ciento", "сто"} {
		m[w] = numWord{100, wHundred, false}
	}
	for _, w := range []string{"thousand", "mille", "mil", "тысяча", "тысячи", "тысяч"} {
		m[w] = numWord{1000, wScale, false}
	}
	for _, w := range []string{"million", "millions", "millón", "millones", "миллион", "миллиона", "миллионов"} {
		m[w] = numWord{1e6, wScale, false}
	}
	for _, w := range []string{"and", "et", "y"} {
		m[w] = numWord{0, wAnd, false}
	}
	for _, w := range []string{"minus", "negative", "moins", "menos", "минус"} {
		m[w] = numWord{0, wNeg, false}
	}
	// Words that are often not numbers at all: alone, they count only
	// when the text holds no other number.
	for _, w := range []string{"one", "un", "une", "uno", "una", "один", "одна", "одно",
		"once", "cent", "cents", "sept", "mil"} {
		nw := m[w]
		nw.weak = true
		m[w] = nw
	}
	return m
}()

var wordRE = regexp.MustCompile(`\p{L}+(?:-\p{L}+)*`)

type wordTok struct {
	start, end int
	numWord
}

// wordNumbers finds numbers written in words. Words of one number are
// separated by spaces or hyphens only.
func wordNumbers(s string) []numCand {
	var out []numCand
	var run []wordTok
	flush := func() {
		out = append(out, parseWordRun(run)...)
		run = run[:0]
	}
	prevEnd := -1
	for _, m := range wordRE.FindAllStringIndex(s, -1) {
		toks, ok := lookupWord(strings.ToLower(s[m[0]:m[1]]), m[0], m[1])
		if !ok {
			flush()
			prevEnd = -1
			continue
		}
		if prevEnd >= 0 && strings.TrimSpace(s[prevEnd:m[0]]) != "" {
			flush()
		}
		run = append(run, toks...)
		prevEnd = m[1]
	}
	flush()
	return out
}

// lookupWord reads a word (possibly hyphenated) as number words.
func lookupWord(w string, start, end int) ([]wordTok, bool) {
	w = strings.ReplaceAll(w, "quatre-vingts", "quatrevingt")
	w = strings.ReplaceAll(w, "quatre-vingt", "quatrevingt")
	if nw, ok := numberWords[w]; ok {
		return []wordTok{{start, end, nw}}, true
	}
	parts := strings.Split(w, "-")
	if len(parts) == 1 {
		return nil, false
	}
	var out []wordTok
	for i := 0; i < len(parts); i++ {
		// Longest hyphenated compound first (dix-sept, soixante-dix).
		found := false
		for j := len(parts); j > i; j-- {
			if nw, ok := numberWords[strings.Join(parts[i:j], "-")]; ok && nw.kind != wAnd {
				out = append(out, wordTok{start, end, nw})
				i, found = j-1, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return out, true
}

// parseWordRun turns a run of number words into numbers: "fifty one" is
// one number, "two three" two.
func parseWordRun(run []wordTok) []numCand {
	var out []numCand
	var total, cur float64
	var last *wordTok
	n, start, end, neg := 0, 0, 0, false
	emit := func() {
		if n > 0 {
			v := total + cur
			if neg {
				v = -v
			}
			out = append(out, numCand{start: start, end: end, val: v, weak: n == 1 && last.weak})
		}
		total, cur, n, neg, last = 0, 0, 0, false, nil
	}
	pendingNeg := -1
	for i := range run {
		t := &run[i]
		switch t.kind {
		case wNeg:
			emit()
			pendingNeg = t.start
			continue
		case wAnd:
			// Only inside a number, and only before another number word.
			if n == 0 || i+1 == len(run) || run[i+1].kind == wAnd || run[i+1].kind == wNeg {
				emit()
			}
			continue
		}
		if n > 0 && !canFollow(last, t) {
			emit()
		}
		if n == 0 {
			start = t.start
			if pendingNeg >= 0 {
				neg, start = true, pendingNeg
			}
		}
		pendingNeg = -1
		switch t.kind {
		case wUnit, wTen:
			cur += t.val
		case wHundred:
			if cur == 0 {
				cur = 1
			}
			cur *= 100
		case wScale:
			if cur == 0 {
				cur = 1
			}
			total += cur * t.val
			cur = 0
		}
		n++
		end, last = t.end, t
	}
	emit()
	return out
}

func canFollow(prev, t *wordTok) bool {
	switch t.kind {
	case wHundred:
		return prev.kind == wUnit && prev.val < 20 || prev.kind == wScale
	case wScale:
		return prev.kind != wScale || t.val < prev.val
	}
	switch prev.kind {
	case wTen: // twenty-one, soixante-quinze
		return t.kind == wUnit && (t.val < 10 || (t.val < 20 && (prev.val == 60 || prev.val == 80)))
	case wHundred, wScale:
		return true
	}
	return false
}

var hanDigits = map[rune]float64{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4,
	'五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

var hanRE = regexp.MustCompile(`[零〇一二两三四五六七八九十百千万]+`)

// hanNumbers finds Chinese numerals (五十一 = 51, 三百零五 = 305).
func hanNumbers(s string) []numCand {
	var out []numCand
	for _, m := range hanRE.FindAllStringIndex(s, -1) {
		run := s[m[0]:m[1]]
		var total, section, digit float64
		for _, r := range run {
			switch r {
			case '十':
				if digit == 0 && section == 0 {
					digit = 1
				}
				section += digit * 10
				digit = 0
			case '百':
				section += digit * 100
				digit = 0
			case '千':
				section += digit * 1000
				digit = 0
			case '万':
				total += (section + digit) * 1e4
				section, digit = 0, 0
			default:
				digit = hanDigits[r]
			}
		}
		out = append(out, numCand{start: m[0], end: m[1], val: total + section + digit,
			weak: utf8.RuneCountInString(run) == 1})
	}
	return out
}
