package bench

import (
	"math"
	"testing"
)

func TestFinalNumber(t *testing.T) {
	tests := []struct {
		name string
		text string
		want float64
		ok   bool
	}{
		// Digits.
		{"plain", "The answer is 42.", 42, true},
		{"last of several", "17 × 3 = 51.", 51, true},
		{"thousands comma", "The total is 1,234 apples.", 1234, true},
		{"thousands and decimals", "It costs $1,234,567.50 in all", 1234567.5, true},
		{"thousands dots", "Son 1.234.567 habitantes", 1234567, true},
		{"narrow nbsp thousands", "Il y a 5\u202f050 pommes", 5050, true},
		{"decimal point", "about 3.75 km", 3.75, true},
		{"decimal comma", "La réponse est 3,5.", 3.5, true},
		{"negative", "so x = -7", -7, true},
		{"unicode minus", "x = −2.5", -2.5, true},
		{"subtraction is not negative", "10-3", 3, true},
		{"fraction", "The sum is 3/4.", 0.75, true},
		{"latex frac", `so $\frac{3}{4}$`, 0.75, true},
		{"latex dfrac negative", `= \dfrac{-1}{2}`, -0.5, true},
		{"boxed wins over later numbers", `Thus \boxed{391}. Check: 17*23 = 391, and 2 more.`, 391, true},
		{"boxed with thousands", `\boxed{5{,}050}`, 5050, true},
		{"boxed latex thin space", `\boxed{5\,050}`, 5050, true},
		{"boxed frac", `\boxed{\frac{3}{4}}`, 0.75, true},
		{"boxed nested braces", `\boxed{\text{5 cents}} and 1.10 total`, 5, true},
		{"digits glued to letters are not numbers", "qwen3 says 12, CO2", 12, true},
		{"version tail", "use python 3.12.1 and 7 workers", 7, true},
		{"list", "1, 2, 3", 3, true},
		{"percent", "about 85%", 85, true},
		{"time is two numbers", "at 13:15", 15, true},
		// English words.
		{"word", "There are three r's in \"strawberry\".", 3, true},
		{"hyphenated", "Seventeen times three is fifty-one.", 51, true},
		{"hundred and", "one hundred and five", 105, true},
		{"thousands in words", "two thousand three hundred forty", 2340, true},
		{"twelve hundred", "twelve hundred", 1200, true},
		{"two numbers in words", "two three", 3, true},
		{"minus word", "minus five", -5, true},
		{"word after digits", "17 times 3 is fifty-one", 51, true},
		{"digits after word", "fifty-one, i.e. 51", 51, true},
		{"lone one is weak", "The answer is 42. Let me know if you want another one.", 42, true},
		{"lone one alone", "There is one r in apple.", 1, true},
		{"cents is not a hundred", "The ball costs 5 cents.", 5, true},
		{"once is not eleven", "It is 7. Check once more.", 7, true},
		// Other languages.
		{"french", "La réponse est cinquante et un.", 51, true},
		{"french dix-sept", "dix-sept", 17, true},
		{"french soixante-quinze", "soixante-quinze", 75, true},
		{"french quatre-vingt-dix-neuf", "quatre-vingt-dix-neuf", 99, true},
		{"french deux cents", "deux cents", 200, true},
		{"spanish", "Son cincuenta y uno.", 51, true},
		{"spanish compound", "veintidós", 22, true},
		{"spanish ciento", "ciento cinco", 105, true},
		{"russian", "Ответ: пятьдесят один.", 51, true},
		{"russian teen", "семнадцать", 17, true},
		{"chinese", "答案是五十一。", 51, true},
		{"chinese ten", "十五", 15, true},
		{"chinese hundreds", "三百零五", 305, true},
		{"chinese digits win over lone 一", "答案是 51，我们一起检查", 51, true},
		{"chinese arabic", "17 × 23 等于 391。", 391, true},
		// None.
		{"no number", "I do not know.", 0, false},
		{"empty", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := FinalNumber(tt.text)
			if ok != tt.ok || (ok && math.Abs(got-tt.want) > 1e-9) {
				t.Errorf("FinalNumber(%q) = %v, %v; want %v, %v", tt.text, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseNumberLiteral(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"42", 42, true},
		{"-3.5", -3.5, true},
		{"1e3", 1000, true},
		{"1,234", 1234, true},
		{"3/4", 0.75, true},
		{"-1/2", -0.5, true},
		{"forty", 0, false},
		{"4 2", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseNumberLiteral(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseNumberLiteral(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
