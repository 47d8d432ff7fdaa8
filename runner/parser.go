package runner

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParserState is where a Parser stands in the model's output.
type ParserState int

const (
	// StateLookingForOpen: nothing but white space so far; the output may
	// still open with the thinking tag.
	StateLookingForOpen ParserState = iota
	// StateThinkingStart: the thinking tag opened; white space after it is
	// eaten.
	StateThinkingStart
	// StateThinking: inside the thinking trace.
	StateThinking
	// StateAnswerStart: the thinking closed (or never opened); white space
	// before the answer is eaten.
	StateAnswerStart
	// StateAnswer: inside the answer.
	StateAnswer
	// StateEnded: after a forced close the model opened its thinking again,
	// which ends the answer; everything after is dropped.
	StateEnded
)

func (s ParserState) String() string {
	switch s {
	case StateLookingForOpen:
		return "LookingForOpen"
	case StateThinkingStart:
		return "ThinkingStart"
	case StateThinking:
		return "Thinking"
	case StateAnswerStart:
		return "AnswerStart"
	case StateAnswer:
		return "Answer"
	case StateEnded:
		return "Ended"
	}
	return "Unknown"
}

// Thinking reports whether s is inside the thinking trace.
func (s ParserState) Thinking() bool { return s == StateThinkingStart || s == StateThinking }

// Answering reports whether s is inside the answer.
func (s ParserState) Answering() bool { return s == StateAnswerStart || s == StateAnswer }

// TagKind names a transition a Parser saw.
type TagKind int

const (
	// TagOpened: the thinking tag opened.
	TagOpened TagKind = iota + 1
	// TagClosed: the model closed its thinking.
	TagClosed
	// TagReopened: after a forced close the model opened its thinking again;
	// the answer ends there.
	TagReopened
)

func (k TagKind) String() string {
	switch k {
	case TagOpened:
		return "opened"
	case TagClosed:
		return "closed"
	case TagReopened:
		return "reopened"
	}
	return "unknown"
}

// Tag is a transition seen by Parser.Add. Pos is the byte offset of the tag
// relative to the start of the chunk passed to that Add call; it is negative
// when the tag began in bytes held back from earlier chunks.
type Tag struct {
	Kind TagKind
	Pos  int
}

// Output is what one Parser call released. Thinking and Answer are the
// visible text (tags and the white space around them removed); Tags are the
// transitions in order.
type Output struct {
	Thinking string
	Answer   string
	Tags     []Tag
}

// Has reports whether o holds a transition of kind k.
func (o Output) Has(k TagKind) bool {
	for _, t := range o.Tags {
		if t.Kind == k {
			return true
		}
	}
	return false
}

// Parser is a streaming parser that splits a reasoning model's raw output
// into thinking and answer. It handles tags split across chunks (a possible
// partial tag is held back until the next chunk settles it), eats the white
// space after the opening tag and before the answer, and reports each
// transition. A Parser is not safe for concurrent use.
type Parser struct {
	open, close string
	state       ParserState
	// forced is set by ForceClose: the caller closed the thinking, so a
	// reopened thinking tag ends the answer.
	forced bool
	// held is raw text not yet released: white space or a partial tag.
	held string
}

// NewParser returns a parser for the tags open and close, starting in
// state. Use InitialState to choose the state from the rendered prompt. With
// an empty open or close tag everything is answer.
func NewParser(open, close string, state ParserState) *Parser {
	if open == "" || close == "" {
		state = StateAnswerStart
	}
	return &Parser{open: open, close: close, state: state}
}

// InitialState returns the state a parser starts in for a rendered prompt:
// thinking already open when the prompt ends with the opening tag (as
// DeepSeek-R1 templates do), the answer when it ends with the closing tag
// (thinking turned off with an empty block), and otherwise looking for the
// opening tag.
func InitialState(prompt, open, close string) ParserState {
	if open == "" || close == "" {
		return StateAnswerStart
	}
	p := strings.TrimRightFunc(prompt, unicode.IsSpace)
	switch {
	case strings.HasSuffix(p, close):
		return StateAnswerStart
	case strings.HasSuffix(p, open):
		return StateThinkingStart
	}
	return StateLookingForOpen
}

// State returns the parser's current state.
func (p *Parser) State() ParserState { return p.state }

// Held returns the raw bytes held back, waiting for the next chunk.
func (p *Parser) Held() string { return p.held }

// Add feeds a chunk of raw model output and returns what it releases.
func (p *Parser) Add(chunk string) Output {
	var out Output
	// base is the offset of p.held[0] relative to chunk.
	base := -len(p.held)
	buf := p.held + chunk
	p.held = ""
	for len(buf) > 0 {
		switch p.state {
		case StateLookingForOpen:
			t := strings.TrimLeftFunc(buf, unicode.IsSpace)
			skip := len(buf) - len(t)
			switch {
			case strings.HasPrefix(t, p.open):
				out.Tags = append(out.Tags, Tag{TagOpened, base + skip})
				n := skip + len(p.open)
				base, buf = base+n, buf[n:]
				p.state = StateThinkingStart
			case t == "" || strings.HasPrefix(p.open, t) || tornRune(t):
				// White space, a partial opening tag, or a chunk that ends
				// inside a rune (which may be white space, as U+0085 is).
				p.held = buf
				buf = ""
			default:
				p.state = StateAnswerStart
			}
		case StateThinkingStart, StateAnswerStart:
			t := strings.TrimLeftFunc(buf, unicode.IsSpace)
			base, buf = base+len(buf)-len(t), t
			if tornRune(t) {
				p.held = t // the rest of the rune settles whether it is eaten
				buf = ""
				continue
			}
			if t != "" {
				if p.state == StateThinkingStart {
					p.state = StateThinking
				} else {
					p.state = StateAnswer
				}
			}
		case StateThinking:
			if i := strings.Index(buf, p.close); i >= 0 {
				out.Thinking += buf[:i]
				out.Tags = append(out.Tags, Tag{TagClosed, base + i})
				n := i + len(p.close)
				base, buf = base+n, buf[n:]
				p.state = StateAnswerStart
				continue
			}
			k := overlap(buf, p.close)
			out.Thinking += buf[:len(buf)-k]
			p.held = buf[len(buf)-k:]
			buf = ""
		case StateAnswer:
			if !p.forced {
				out.Answer += buf
				buf = ""
				continue
			}
			if i := strings.Index(buf, p.open); i >= 0 {
				out.Answer += buf[:i]
				out.Tags = append(out.Tags, Tag{TagReopened, base + i})
				p.state = StateEnded
				buf = ""
				continue
			}
			k := overlap(buf, p.open)
			out.Answer += buf[:len(buf)-k]
			p.held = buf[len(buf)-k:]
			buf = ""
		case StateEnded:
			buf = ""
		}
	}
	return out
}

// Flush releases the bytes held back, as if the output ended here: a
// partial tag or a torn rune is text of the current phase, and white space
// that was being eaten is dropped.
func (p *Parser) Flush() Output {
	h := p.held
	p.held = ""
	var out Output
	switch p.state {
	case StateLookingForOpen:
		if t := strings.TrimSpace(h); t != "" {
			out.Answer = t
			p.state = StateAnswer
		}
	case StateThinkingStart, StateThinking:
		out.Thinking = h
		if h != "" {
			p.state = StateThinking
		}
	case StateAnswerStart, StateAnswer:
		out.Answer = h
		if h != "" {
			p.state = StateAnswer
		}
	}
	return out
}

// ForceClose closes the thinking from outside, as a resume after a cut does
// by appending the closing tag to the prompt. Held bytes are dropped (call
// Flush first to keep them). From now on an opening tag ends the answer.
func (p *Parser) ForceClose() {
	p.held = ""
	p.forced = true
	p.state = StateAnswerStart
}

// Reopen puts the parser back inside the thinking trace, as a resume that
// drops the model's closing tag and asks it to think on does.
func (p *Parser) Reopen() {
	p.held = ""
	p.state = StateThinking
}

// tornRune reports whether s begins with an incomplete UTF-8 sequence: a
// chunk that ended inside a rune, which the next chunk completes.
func tornRune(s string) bool { return s != "" && !utf8.FullRuneInString(s) }

// overlap returns the length of the longest suffix of s that is a proper
// prefix of tag.
func overlap(s, tag string) int {
	for n := min(len(tag)-1, len(s)); n > 0; n-- {
		if strings.HasSuffix(s, tag[:n]) {
			return n
		}
	}
	return 0
}
