package bench

import (
	"strings"
	"testing"
)

func num64(x float64) *float64 { return &x }

func TestCheckScore(t *testing.T) {
	tests := []struct {
		name     string
		check    Check
		thinking string
		answer   string
		pass     bool
		detail   string // a substring of the detail
	}{
		{"contains_all pass", Check{ContainsAll: []string{"McGann", "Eccleston", "Tennant", "Hurt"}}, "",
			"Paul McGann, Christopher Eccleston, David Tennant and John Hurt.", true, "has all of"},
		{"contains_all ignores case", Check{ContainsAll: []string{"McGann"}}, "", "paul mcgann", true, ""},
		{"contains_all missing", Check{ContainsAll: []string{"McGann", "Eccleston", "Tennant", "Hurt"}}, "",
			"Paul McGann, Christopher Eccleston, David Tennant and Peter Capaldi.", false, `lacks "Hurt"`},
		{"contains_all only in thinking fails on answer", Check{ContainsAll: []string{"Hurt"}}, "John Hurt", "I forget.",
			false, "answer lacks"},
		{"contains_any pass", Check{ContainsAny: []string{"three", "3"}}, "", `There are three r's in "strawberry".`, true, `has "three"`},
		{"contains_any fail", Check{ContainsAny: []string{"three", "3"}}, "", "There are two r's.", false, "none of"},
		{"not_contains pass", Check{ContainsAll: []string{"lifespan"}, NotContains: []string{"on_event("}}, "",
			"Use a lifespan context manager; on_event is deprecated.", true, "lifespan"},
		{"not_contains fail", Check{ContainsAll: []string{"lifespan"}, NotContains: []string{"on_event("}}, "",
			"@app.on_event(\"startup\")\nasync def lifespan(): ...", false, `has "on_event("`},
		{"regex pass", Check{Regex: `(?i)\bparis\b`}, "", "La capitale est Paris.", true, "matches"},
		{"regex fail", Check{Regex: `^\d+$`}, "", "forty-two", false, "does not match"},
		{"number digits", Check{Number: num64(51)}, "", "17 × 3 = 51.", true, "number 51"},
		{"number words", Check{Number: num64(51)}, "", "Seventeen times three is fifty-one.", true, "number 51"},
		{"number wrong", Check{Number: num64(51)}, "", "17 × 3 = 41.", false, "final number 41, want 51"},
		{"number missing", Check{Number: num64(51)}, "", "I cannot say.", false, "no number in answer"},
		{"number tolerance", Check{Number: num64(3.14159), Tolerance: 0.01}, "", "pi is about 3.14", true, ""},
		{"number outside tolerance", Check{Number: num64(3.14159), Tolerance: 0.001}, "", "pi is about 3.14", false, "want 3.14159"},
		{"number fraction", Check{Number: num64(0.75)}, "", "1/2 + 1/4 = 3/4", true, ""},
		{"number ignores thinking in answer",
			Check{Number: num64(42)}, "", "<think>Maybe 41? No, 6*7 is 42, not 43.</think>\n\nThe answer is 42", true, ""},
		{"number: thinking numbers after the answer do not count",
			Check{Number: num64(42)}, "", "42\n[THINK]or is it 43?[/THINK]", true, ""},
		{"number: stray closing tag",
			Check{Number: num64(5)}, "", "the ball is 10 cents... wait\n</think>\nThe ball costs 5 cents.", true, ""},
		{"number: unclosed thinking leaves no answer",
			Check{Number: num64(5)}, "", "<think>The ball costs 5 cents", false, "no number"},
		{"on thinking", Check{ContainsAll: []string{"strawberry"}, On: OnThinking}, "count letters in strawberry", "3", true, ""},
		{"on thinking sees thinking left in answer", Check{ContainsAll: []string{"secret"}, On: OnThinking},
			"", "<think>the secret</think>done", true, ""},
		{"on both: terms in either", Check{ContainsAll: []string{"strawberry", "three"}, On: OnBoth},
			"count strawberry", "three", true, ""},
		{"on both: not_contains in thinking fails", Check{NotContains: []string{"on_event"}, On: OnBoth},
			"maybe on_event", "use lifespan", false, "thinking or answer has"},
		{"one_of exact", Check{OneOf: []string{"B", "C"}}, "", "**B**", true, `is "B"`},
		{"one_of suffix", Check{OneOf: []string{"B"}}, "", "The answer is B.", true, ""},
		{"one_of not inside a word", Check{OneOf: []string{"B"}}, "", "The answer is AB.", false, "not one of"},
		{"one_of boxed", Check{OneOf: []string{"paris"}}, "", `\boxed{Paris} is it`, true, ""},
		{"all kinds must pass", Check{ContainsAny: []string{"51"}, Number: num64(52)}, "", "51", false, "want 52"},
		{"bad regex fails", Check{Regex: "("}, "", "x", false, "bad regex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.check
			pass, detail := c.Score(tt.thinking, tt.answer)
			if pass != tt.pass || !strings.Contains(detail, tt.detail) {
				t.Errorf("Score = %v, %q; want %v and a detail with %q", pass, detail, tt.pass, tt.detail)
			}
			if detail == "" {
				t.Error("empty detail")
			}
		})
	}
}

func TestSplitThinking(t *testing.T) {
	tests := []struct {
		in, answer, thinking string
	}{
		{"plain answer", "plain answer", ""},
		{"<think>a</think>b", "b", "a"},
		{"<think>\na\n</think>\n\nb", "b", "a"},
		{"[THINK]x[/THINK]y", "y", "x"},
		{"x</think>y", "y", "x"},
		{"y<think>never closed", "y", "never closed"},
		{"<think>1</think>a<think>2</think>b", "ab", "1\n\n2"},
		{"<thinking>t</thinking>ans", "ans", "t"},
	}
	for _, tt := range tests {
		a, th := SplitThinking(tt.in)
		if a != tt.answer || th != tt.thinking {
			t.Errorf("SplitThinking(%q) = %q, %q; want %q, %q", tt.in, a, th, tt.answer, tt.thinking)
		}
	}
}
