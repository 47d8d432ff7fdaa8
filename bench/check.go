package bench

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/rein-dev/rein/consensus"
)

// Where a check looks.
const (
	OnAnswer   = "answer" // the default
	OnThinking = "thinking"
	// OnBoth looks at the thinking and the answer together: a term may be
	// in either, and not_contains forbids it in both.
	OnBoth = "both"
)

// DefaultTolerance is the tolerance of a number check that gives none.
const DefaultTolerance = 1e-6

// Check scores a run. Every kind of test it holds must pass. The text
// tests (contains_all, contains_any, not_contains, one_of) ignore case.
type Check struct {
	ContainsAll []string
	ContainsAny []string
	NotContains []string
	// Regex is a Go regular expression that must match.
	Regex string
	// Number is the expected final number (see FinalNumber), within
	// Tolerance (absolute; 0 means DefaultTolerance).
	Number    *float64
	Tolerance float64
	// OneOf passes when the answer, normalised (case, white space,
	// Markdown emphasis, quotes and final punctuation), is one of these or
	// ends with one of them as a whole word ("The answer is B.").
	OneOf []string
	// On is OnAnswer (""), OnThinking or OnBoth.
	On string

	re *regexp.Regexp
}

// CheckResult is a check's verdict as results record it.
type CheckResult struct {
	Pass   bool   `json:"pass"`
	Detail string `json:"detail"`
}

// Score checks a run's thinking and answer. Thinking still inside the
// answer (<think>…</think>, [THINK]…[/THINK], an unclosed opening tag, or
// a closing tag with no opening one) is moved to the thinking first. The
// detail says what failed or, on a pass, what passed.
func (c *Check) Score(thinking, answer string) (pass bool, detail string) {
	answer, inner := SplitThinking(answer)
	if inner != "" {
		thinking = strings.TrimSpace(thinking + "\n\n" + inner)
	}
	var text, where string
	switch c.On {
	case OnThinking:
		text, where = thinking, "thinking"
	case OnBoth:
		text, where = thinking+"\n\n"+answer, "thinking or answer"
	default:
		text, where = answer, "answer"
	}
	lower := strings.ToLower(text)
	var fails, oks []string
	if len(c.ContainsAll) > 0 {
		var missing []string
		for _, t := range c.ContainsAll {
			if !strings.Contains(lower, strings.ToLower(t)) {
				missing = append(missing, strconv.Quote(t))
			}
		}
		if len(missing) > 0 {
			fails = append(fails, fmt.Sprintf("%s lacks %s", where, strings.Join(missing, ", ")))
		} else {
			oks = append(oks, fmt.Sprintf("has all of %s", quoteList(c.ContainsAll)))
		}
	}
	if len(c.ContainsAny) > 0 {
		found := ""
		for _, t := range c.ContainsAny {
			if strings.Contains(lower, strings.ToLower(t)) {
				found = t
				break
			}
		}
		if found == "" {
			fails = append(fails, fmt.Sprintf("%s has none of %s", where, quoteList(c.ContainsAny)))
		} else {
			oks = append(oks, fmt.Sprintf("has %q", found))
		}
	}
	if len(c.NotContains) > 0 {
		var found []string
		for _, t := range c.NotContains {
			if strings.Contains(lower, strings.ToLower(t)) {
				found = append(found, strconv.Quote(t))
			}
		}
		if len(found) > 0 {
			fails = append(fails, fmt.Sprintf("%s has %s", where, strings.Join(found, ", ")))
		} else {
			oks = append(oks, fmt.Sprintf("has none of %s", quoteList(c.NotContains)))
		}
	}
	if c.Regex != "" {
		re := c.re
		if re == nil {
			var err error
			if re, err = regexp.Compile(c.Regex); err != nil {
				return false, fmt.Sprintf("bad regex: %v", err)
			}
			c.re = re
		}
		if re.MatchString(text) {
			oks = append(oks, fmt.Sprintf("matches /%s/", c.Regex))
		} else {
			fails = append(fails, fmt.Sprintf("%s does not match /%s/", where, c.Regex))
		}
	}
	if c.Number != nil {
		want := *c.Number
		tol := c.Tolerance
		if tol == 0 {
			tol = DefaultTolerance
		}
		got, ok := FinalNumber(text)
		switch {
		case !ok:
			fails = append(fails, fmt.Sprintf("no number in %s, want %s", where, fmtNum(want)))
		case math.Abs(got-want) > tol:
			fails = append(fails, fmt.Sprintf("final number %s, want %s", fmtNum(got), fmtNum(want)))
		default:
			oks = append(oks, fmt.Sprintf("number %s", fmtNum(got)))
		}
	}
	if len(c.OneOf) > 0 {
		if hit, ok := oneOf(text, c.OneOf); ok {
			oks = append(oks, fmt.Sprintf("is %q", hit))
		} else {
			fails = append(fails, fmt.Sprintf("%s is not one of %s", where, quoteList(c.OneOf)))
		}
	}
	if len(fails) > 0 {
		return false, strings.Join(fails, "; ")
	}
	return true, strings.Join(oks, "; ")
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func fmtNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// oneOf reports which option the text is, or ends with as a whole word.
func oneOf(text string, opts []string) (string, bool) {
	if box, ok := consensus.LastBoxed(text); ok {
		text = box
	}
	norm := normaliseAnswer(text)
	for _, o := range opts {
		n := normaliseAnswer(o)
		if n == "" {
			continue
		}
		if norm == n {
			return o, true
		}
		if strings.HasSuffix(norm, n) {
			r := []rune(norm[:len(norm)-len(n)])
			if len(r) > 0 && !unicode.IsLetter(r[len(r)-1]) && !unicode.IsDigit(r[len(r)-1]) {
				return o, true
			}
		}
	}
	return "", false
}

func normaliseAnswer(s string) string {
	s = strings.ToLower(s)
	s = strings.NewReplacer("**", "", "__", "", "`", "", "\"", "", "“", "", "”", "", "«", "", "»", "").Replace(s)
	s = strings.Join(strings.Fields(s), " ")
	return strings.TrimRightFunc(s, func(r rune) bool {
		return unicode.IsPunct(r) && r != ')' && r != ']' || unicode.IsSpace(r)
	})
}

// Thinking tags a model may leave in its answer.
var thinkTags = [][2]string{
	{"<think>", "</think>"},
	{"<thinking>", "</thinking>"},
	{"[THINK]", "[/THINK]"},
	{"◁think▷", "◁/think▷"},
}

// SplitThinking moves thinking out of an answer. It returns the answer
// without thinking, and the thinking it held. An opening tag with no
// closing tag makes the rest of the text thinking; a closing tag with no
// opening tag makes the text before it thinking.
func SplitThinking(answer string) (rest, thinking string) {
	var th []string
	for _, tag := range thinkTags {
		open, close := tag[0], tag[1]
		for {
			io := strings.Index(answer, open)
			ic := strings.Index(answer, close)
			if ic >= 0 && (io < 0 || ic < io) {
				th = append(th, answer[:ic])
				answer = answer[ic+len(close):]
				continue
			}
			if io < 0 {
				break
			}
			after := answer[io+len(open):]
			j := strings.Index(after, close)
			if j < 0 {
				th = append(th, after)
				answer = answer[:io]
				break
			}
			th = append(th, after[:j])
			answer = answer[:io] + after[j+len(close):]
		}
	}
	for i := range th {
		th[i] = strings.TrimSpace(th[i])
	}
	return strings.TrimSpace(answer), strings.TrimSpace(strings.Join(th, "\n\n"))
}
