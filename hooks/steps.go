package hooks

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// StepMode says how a thinking trace is cut into steps.
type StepMode string

const (
	// StepParagraph makes each paragraph, the text between blank lines, a
	// step. A blank line may hold spaces, tabs and carriage returns.
	StepParagraph StepMode = "paragraph"
	// StepLine makes each non-empty line a step.
	StepLine StepMode = "line"
	// StepSentence makes each sentence a step: one ends at . ! ? or …
	// followed by white space (closing quotes and brackets may come between),
	// at 。！？ (which need no space after them), and at a paragraph break.
	// Decimals (3.14), common abbreviations (e.g., i.e., vs.) and list
	// numbers at the start of a line ("1. ") do not end a sentence.
	StepSentence StepMode = "sentence"
	// StepMarker starts a new step at a marker word at the start of a
	// sentence or line, in any case, optionally after markup such as "**"
	// or an opening quote: English Wait, But wait, Oh wait, Alternatively,
	// Hm/Hmm/Hmmm, Let me check/re-check/recheck/double-check, Actually;
	// French Attends, Mais attends, Sinon; Spanish Espera, Pero espera,
	// Alternativamente; Russian Подожди, Погоди, Но подожди, Хотя, Или;
	// Chinese 等等, 等一下, 或者, 不过, 嗯. A marker in an alphabetic script
	// must end at a non-letter ("Wait," but not "Waiting"). Paragraph breaks
	// also end a step.
	StepMarker StepMode = "marker"
)

// stepModes lists the valid step modes, the default first.
var stepModes = []StepMode{StepParagraph, StepLine, StepSentence, StepMarker}

// ParseStepMode parses a step mode name, ignoring case and surrounding
// space. The empty string means the default, StepParagraph.
func ParseStepMode(s string) (StepMode, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return StepParagraph, nil
	}
	for _, m := range stepModes {
		if t == string(m) {
			return m, nil
		}
	}
	names := make([]string, len(stepModes))
	for i, m := range stepModes {
		names[i] = string(m)
	}
	return "", fmt.Errorf("unknown step mode %q (valid: %s)", s, strings.Join(names, ", "))
}

// markers are the words that start a new step in StepMarker mode (keep the
// StepMarker doc in step). Chinese markers need no boundary after them.
var markers = []string{
	// English
	"Wait", "But wait", "Oh wait", "Alternatively", "Hm", "Hmm", "Hmmm", "Hmmmm",
	"Let me re-check", "Let me recheck", "Let me check", "Let me double-check",
	"Actually",
	// French
	"Attends", "Mais attends", "Sinon",
	// Spanish
	"Espera", "Pero espera", "Alternativamente",
	// Russian
	"Подожди", "Погоди", "Но подожди", "Хотя", "Или",
	// Chinese
	"等等", "等一下", "或者", "不过", "嗯",
}

type marker struct {
	runes    []rune // lower case
	boundary bool   // must be followed by a non-letter, non-digit
}

// markerIndex maps the lower-case first rune of each marker to the markers.
var markerIndex = func() map[rune][]marker {
	idx := make(map[rune][]marker)
	for _, m := range markers {
		rs := []rune(strings.ToLower(m))
		mk := marker{runes: rs, boundary: !unicode.Is(unicode.Han, rs[len(rs)-1])}
		idx[rs[0]] = append(idx[rs[0]], mk)
	}
	return idx
}()

// abbreviations do not end a sentence when followed by a period. Keys are
// lower case, without the final period.
var abbreviations = map[string]bool{
	"e.g": true, "i.e": true, "eg": true, "ie": true, "vs": true, "cf": true,
	"approx": true, "resp": true, "incl": true, "esp": true, "viz": true,
	"al": true, "fig": true, "eq": true, "eqs": true, "mr": true, "mrs": true,
	"ms": true, "dr": true, "prof": true, "st": true,
}

// A Splitter cuts streamed thinking text into steps. Feed it text with
// Write in chunks of any size (a chunk may end in the middle of a word, of a
// UTF-8 sequence, of a blank line or of a marker); each Write returns the
// steps that chunk completed. Flush returns what is left when the thinking
// ends. Steps are trimmed of surrounding white space, and empty steps are
// never returned. The work per Write is proportional to the chunk, not to
// the text seen so far. A Splitter is not safe for concurrent use.
type Splitter struct {
	mode StepMode

	buf   []byte // text not yet returned starts at start
	start int    // start of the current step in buf
	pos   int    // next byte to scan

	afterNL    bool // a newline was seen, then only blanks
	term       bool // a sentence terminator was seen, maybe followed by closers
	termCJK    bool // ... and it was a full-width one, which needs no space after it
	atBoundary bool // the next non-space rune starts a sentence or line
	wordStart  int  // start of the current word
	lineFirst  int  // first non-space byte of the current line, or lineEmpty or lineBefore
}

// Values of Splitter.lineFirst that are not offsets.
const (
	lineEmpty  = -1 // the line has had only blanks so far
	lineBefore = -2 // the line started before buf
)

// NewSplitter returns a Splitter for mode. An unknown mode splits paragraphs.
func NewSplitter(mode StepMode) *Splitter {
	switch mode {
	case StepParagraph, StepLine, StepSentence, StepMarker:
	default:
		mode = StepParagraph
	}
	s := &Splitter{mode: mode}
	s.Reset()
	return s
}

// Mode returns the splitter's mode.
func (s *Splitter) Mode() StepMode { return s.mode }

// Reset drops any pending text and state.
func (s *Splitter) Reset() {
	s.buf = s.buf[:0]
	s.start, s.pos = 0, 0
	s.afterNL, s.term, s.termCJK = false, false, false
	s.atBoundary = true
	s.wordStart, s.lineFirst = 0, lineEmpty
}

// Flush returns the pending partial step, trimmed (it may be empty), and
// resets the splitter. Text held back for lookahead (a possible marker, an
// incomplete UTF-8 sequence) is part of it; invalid UTF-8 is replaced by
// U+FFFD.
func (s *Splitter) Flush() string {
	out := strings.TrimSpace(string(s.buf[s.start:]))
	if !utf8.ValidString(out) {
		out = strings.ToValidUTF8(out, "\uFFFD")
	}
	s.Reset()
	return out
}

// Pending reports how many bytes of text are waiting in the current step.
func (s *Splitter) Pending() int { return len(s.buf) - s.start }

// Write feeds a chunk of thinking text and returns the steps it completed.
func (s *Splitter) Write(text string) []string {
	s.buf = append(s.buf, text...)
	var out []string
scan:
	for s.pos < len(s.buf) {
		i := s.pos
		b := s.buf[i:]
		if !utf8.FullRune(b) {
			break
		}
		r, size := utf8.DecodeRune(b)
		space := isBlank(r)

		// A pending terminator is settled by the rune after it.
		if s.term {
			switch {
			case space, s.termCJK && !isCloser(r) && !isTerminator(r):
				s.term, s.termCJK = false, false
				if s.mode == StepSentence {
					out = s.emit(out, i)
				} else {
					s.atBoundary = true
				}
			case isCloser(r), isTerminator(r):
				// still pending
			default:
				s.term, s.termCJK = false, false
			}
		}

		if s.mode == StepMarker && s.atBoundary && !space {
			n, st := matchMarker(b)
			switch st {
			case markerMore:
				break scan // wait for more text; the scan resumes here
			case markerFound:
				out = s.emit(out, i)
				s.atBoundary, s.afterNL = false, false
				s.pos = i + n
				s.wordStart = s.pos
				if s.lineFirst == lineEmpty {
					s.lineFirst = i
				}
				continue
			}
			s.atBoundary = false
		}

		s.pos += size
		switch {
		case r == '\n':
			switch {
			case s.mode == StepLine:
				out = s.emit(out, i)
			case s.afterNL:
				out = s.emit(out, i) // a blank line ends a paragraph
			default:
				s.afterNL = true
			}
			s.atBoundary = true
			s.wordStart, s.lineFirst = s.pos, lineEmpty
		case space:
			s.wordStart = s.pos
		default:
			s.afterNL = false
			if s.lineFirst == lineEmpty {
				s.lineFirst = i
			}
			if s.mode == StepSentence || s.mode == StepMarker {
				if isTerminator(r) {
					if r != '.' || !s.notSentenceEnd(i) {
						s.term = true
						s.termCJK = s.termCJK || isCJKTerminator(r)
					}
				}
			}
		}
	}
	s.compact()
	return out
}

// notSentenceEnd reports whether the period at i belongs to an abbreviation
// or to a list number at the start of a line.
func (s *Splitter) notSentenceEnd(i int) bool {
	if s.wordStart < 0 || s.wordStart < s.start || i-s.wordStart > 8 || i == s.wordStart {
		return false
	}
	word := s.buf[s.wordStart:i]
	digits := true
	for _, c := range word {
		if c < '0' || c > '9' {
			digits = false
			break
		}
	}
	if digits {
		return s.wordStart == s.lineFirst && len(word) <= 3
	}
	w := strings.ToLower(strings.TrimLeft(string(word), "([{\"'“‘"))
	return abbreviations[w]
}

// emit closes the current step at end and starts the next one there.
func (s *Splitter) emit(out []string, end int) []string {
	if end > s.start {
		if t := strings.TrimSpace(string(s.buf[s.start:end])); t != "" {
			out = append(out, t)
		}
	}
	s.start = end
	return out
}

// compact drops returned text once it outweighs what is pending, so each
// byte is copied O(1) times overall.
func (s *Splitter) compact() {
	if s.start == 0 || s.start < len(s.buf)-s.start {
		return
	}
	d := s.start
	n := copy(s.buf, s.buf[d:])
	s.buf = s.buf[:n]
	s.start = 0
	s.pos -= d
	s.wordStart = max(s.wordStart-d, -1)
	if s.lineFirst >= 0 {
		s.lineFirst -= d
		if s.lineFirst < 0 {
			s.lineFirst = lineBefore
		}
	}
}

type markerStatus int

const (
	markerNone markerStatus = iota
	markerFound
	markerMore // b is too short to tell
)

// maxMarkup bounds the markup (and the spaces after it) skipped before a
// marker, in bytes.
const maxMarkup = 8

// matchMarker reports whether b starts with a marker, optionally after
// markup, and how many bytes the markup and marker take.
func matchMarker(b []byte) (int, markerStatus) {
	j := 0
	for {
		if j >= len(b) || !utf8.FullRune(b[j:]) {
			if j > maxMarkup {
				return 0, markerNone
			}
			return 0, markerMore
		}
		r, size := utf8.DecodeRune(b[j:])
		if !isMarkup(r) && (j == 0 || (r != ' ' && r != '\t')) {
			break
		}
		j += size
		if j > maxMarkup {
			return 0, markerNone
		}
	}
	r0, _ := utf8.DecodeRune(b[j:])
	cands := markerIndex[unicode.ToLower(r0)]
	best, more := 0, false
	for _, m := range cands {
		k := j
		ok := true
		for _, mr := range m.runes {
			if k >= len(b) || !utf8.FullRune(b[k:]) {
				more, ok = true, false
				break
			}
			r, size := utf8.DecodeRune(b[k:])
			if unicode.ToLower(r) != mr {
				ok = false
				break
			}
			k += size
		}
		if !ok {
			continue
		}
		if m.boundary {
			if k >= len(b) || !utf8.FullRune(b[k:]) {
				more = true
				continue
			}
			if r, _ := utf8.DecodeRune(b[k:]); unicode.IsLetter(r) || unicode.IsDigit(r) {
				continue
			}
		}
		best = max(best, k)
	}
	switch {
	case more:
		return 0, markerMore
	case best > 0:
		return best, markerFound
	}
	return 0, markerNone
}

func isBlank(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r':
		return true
	}
	return r > utf8.RuneSelf && unicode.IsSpace(r)
}

func isTerminator(r rune) bool {
	switch r {
	case '.', '!', '?', '…', '。', '！', '？':
		return true
	}
	return false
}

func isCJKTerminator(r rune) bool { return r == '。' || r == '！' || r == '？' }

// isCloser reports closing quotes and brackets that may follow a terminator.
func isCloser(r rune) bool {
	switch r {
	case '"', '\'', ')', ']', '}', '”', '’', '»', '」', '』', '）', '*', '_':
		return true
	}
	return false
}

// isMarkup reports characters that may come before a marker word.
func isMarkup(r rune) bool {
	switch r {
	case '*', '_', '#', '>', '-', '"', '\'', '“', '‘', '«', '「', '(':
		return true
	}
	return false
}
