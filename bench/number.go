package bench

import "github.com/rein-dev/rein/consensus"

// FinalNumber returns the final number of a text, the way a reader finds
// the result at the end of a worked answer: the content of the last LaTeX
// \boxed{…}, else the last number in digits ("1,234", "1 234", "-3.5",
// "3,5", "3/4", "\frac{3}{4}") or in words (English, and the simple number
// words of French, Spanish, Russian and Chinese). It is consensus.Number,
// so that a bench scores answers as a consensus votes on them.
func FinalNumber(text string) (float64, bool) { return consensus.Number(text) }

// parseNumberLiteral reads a number as a suite writes it: "42", "-3.5",
// "1,234", "3/4".
func parseNumberLiteral(s string) (float64, bool) { return consensus.NumberLiteral(s) }
