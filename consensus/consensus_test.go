package consensus

import (
	"math"
	"testing"
)

func TestNumber(t *testing.T) {
	for _, tc := range []struct {
		text string
		want float64
	}{
		{"42", 42},
		{"The answer is 42.", 42},
		{"forty-two", 42},
		{"Forty two apples", 42},
		{"сорок два", 42},
		{"Ответ: сорок два.", 42},
		{"四十二", 42},
		{"答案是四十二。", 42},
		{"quarante-deux", 42},
		{"La réponse est quarante-deux.", 42},
		{"cuarenta y dos", 42},
		{"soixante-quinze", 75},
		{"quatre-vingt-dix-neuf", 99},
		{"三百零五", 305},
		{"one hundred and five", 105},
		{`\boxed{42}`, 42},
		{`so x = 7 and the total is \boxed{42} (check: 6 \times 7)`, 42},
		{`\boxed{\frac{3}{4}}`, 0.75},
		{`\boxed{1{,}234}`, 1234},
		{"1,234", 1234},
		{"1 234 km", 1234},
		{"1\u202f234,5 €", 1234.5},
		{"1.234.567", 1234567},
		{"3,5 kg", 3.5},
		{"42 km/h", 42},
		{"$42", 42},
		{"42%", 42},
		{"42 яблока", 42},
		{"-3 degrees", -3},
		{"minus three", -3},
		{"3/4", 0.75},
		{"qwen3 says 7", 7},
		{"This one is 7.", 7},
		{"Ответ: один.", 1},
	} {
		got, ok := Number(tc.text)
		if !ok || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Number(%q) = %v, %v; want %v", tc.text, got, ok, tc.want)
		}
	}
	for _, text := range []string{"", "Paris", "CO2", "no number here", "qwen3"} {
		if got, ok := Number(text); ok {
			t.Errorf("Number(%q) = %v, want none", text, got)
		}
	}
}

func TestFinalAnswer(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"42", "42"},
		{"Let me see.\n\nSo the product is 42.\n", "So the product is 42."},
		{`We get 6 × 7 = 42, so \boxed{42}.`, "42"},
		{"Step 1: 3 apples.\nStep 2: 4 more.\nAnswer: 7 apples", "7 apples"},
		{"Ответ: сорок два.", "сорок два."},
		{"答案是四十二。", "四十二。"},
		{"La réponse est **Paris**, bien sûr.", "Paris"},
		{"The capital of France is **Paris**.", "Paris"},
		{"Final answer: **12**", "12"},
	} {
		if got := FinalAnswer(tc.in); got != tc.want {
			t.Errorf("FinalAnswer(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormalise(t *testing.T) {
	// The same answer in different scripts, words and wrappings is one key.
	same42 := []string{"42", "forty-two", "Forty-Two.", "сорок два", "四十二", "quarante-deux", "cuarenta y dos",
		`\boxed{42}`, "**42**", "The answer is 42 km.", "Ответ: 42.", "答案是 42。", "Answer: 42.0", "La réponse est quarante-deux."}
	for _, a := range same42 {
		if got := Normalise(a); got != "42" {
			t.Errorf("Normalise(%q) = %q, want 42", a, got)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"Paris.", "paris"},
		{"  «Paris»  ", "paris"},
		{"The capital is **Paris**.", "paris"},
		{"`B`", "b"},
		{`\boxed{\text{B}}`, "b"},
		{"New   York", "new york"},
		{"1,234,567", "1234567"},
		{"0.50", "0.5"},
		{"-0", "0"},
		{"minus seven", "-7"},
		{"", ""},
		{"...", ""},
	} {
		if got := Normalise(tc.in); got != tc.want {
			t.Errorf("Normalise(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestVote(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answers []string
		winner  int
		key     string
		votes   map[string]int
	}{
		{"majority in different scripts", []string{"41", "四十二", "quarante-deux"}, 1, "42", map[string]int{"41": 1, "42": 2}},
		{"majority later", []string{"Paris", "Lyon", "Lyon."}, 1, "lyon", map[string]int{"paris": 1, "lyon": 2}},
		{"tie goes to the earliest chain", []string{"7", "8", "eight", "seven"}, 0, "7", map[string]int{"7": 2, "8": 2}},
		{"tie of singles", []string{"a", "b", "c"}, 0, "a", map[string]int{"a": 1, "b": 1, "c": 1}},
		{"failed chains do not vote", []string{"", "", "12"}, 2, "12", map[string]int{"12": 1}},
		{"no answer", []string{"", "..."}, -1, "", map[string]int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Vote(tc.answers)
			if got.Winner != tc.winner || got.Key != tc.key || len(got.Votes) != len(tc.votes) {
				t.Errorf("Vote(%q) = winner %d key %q votes %v; want %d %q %v", tc.answers, got.Winner, got.Key, got.Votes, tc.winner, tc.key, tc.votes)
			}
			for k, n := range tc.votes {
				if got.Votes[k] != n {
					t.Errorf("votes[%q] = %d, want %d", k, got.Votes[k], n)
				}
			}
			if len(got.Keys) != len(tc.answers) {
				t.Errorf("%d keys for %d answers", len(got.Keys), len(tc.answers))
			}
		})
	}
}

func TestPrompts(t *testing.T) {
	langs := Languages()
	for _, l := range []string{"en", "fr", "es", "ru", "zh"} {
		if ThinkPrefix(l) == "" || ThinkPrefix(l)[0] != '\n' || AnswerInstruction(l) == "" {
			t.Errorf("%s: prefix %q instruction %q", l, ThinkPrefix(l), AnswerInstruction(l))
		}
	}
	if len(langs) != len(answerInstructions) {
		t.Errorf("%d reasoning languages, %d answer instructions", len(langs), len(answerInstructions))
	}
	for _, l := range langs {
		if AnswerInstruction(l) == "" {
			t.Errorf("%s has a prefix but no answer instruction", l)
		}
	}
	if ThinkPrefix("xx") != "" || ThinkPrefix("FR") != ThinkPrefix("fr") {
		t.Errorf("unknown or upper-case language codes")
	}
}
