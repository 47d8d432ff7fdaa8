package scripted

import (
	"slices"
	"strings"
	"testing"
)

func TestParseScript(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Script
		wantErr string
	}{
		{in: "<think>\nA b.\n\n</think>\n\nC.", want: Script{Thinking: "\nA b.\n\n", Answer: "\n\nC."}},
		{in: "[THINK]A.[/THINK]B.", want: Script{Thinking: "A.", Answer: "B."}},
		{in: "<think>\nround and round\n\n", want: Script{Thinking: "\nround and round\n\n", Loop: true}},
		{in: "Just an answer.", want: Script{Answer: "Just an answer."}},
		{in: "Answer <think>x</think>", wantErr: "must open"},
		{in: "<think>a</think>b<think>", wantErr: "in the answer"},
	} {
		got, err := ParseScript(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseScript(%q) error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseScript(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestSplitPieces(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"\nStep one.\n\nStep two.", []string{"\nStep ", "one.\n\n", "Step ", "two."}},
		{"Сначала сложим.", []string{"Сначала ", "сложим."}},
		{"先加起来再检查。", []string{"先加", "起来", "再检", "查。"}},
		{"加起来。然后", []string{"加起", "来。", "然后"}},
		{"  lead", []string{"  lead"}},
		{"", nil},
	} {
		if got := splitPieces(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("splitPieces(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := strings.Join(splitPieces(tc.in), ""); got != tc.in {
			t.Errorf("pieces of %q join to %q", tc.in, got)
		}
	}
}

func TestUniquePieces(t *testing.T) {
	for _, tc := range []struct {
		in, used []string
		want     []string
		wantErr  string
	}{
		{in: []string{"Step ", "one.\n\n", "Step ", "two."}, want: []string{"Step ", "one.\n\n", "S", "tep ", "two."}},
		{in: []string{"a", "b", "a", "c"}, want: []string{"a", "b", "ac"}},
		{in: []string{"x", "y", "x"}, want: []string{"x", "yx"}},
		{in: []string{"x", "x"}, want: []string{"xx"}},
		{in: []string{"x"}, used: []string{"x"}, wantErr: `"x" repeats`},
	} {
		used := map[string]bool{}
		for _, u := range tc.used {
			used[u] = true
		}
		got, err := uniquePieces(tc.in, used)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("uniquePieces(%q) error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("uniquePieces(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		seen := map[string]bool{}
		for _, p := range got {
			if seen[p] {
				t.Errorf("piece %q repeats", p)
			}
			seen[p] = true
		}
	}
}

// TestRepeatedTextIsMadeUnique checks that a script with repeated words and
// lines builds into a vocabulary without duplicate strings and still
// produces its text exactly.
func TestRepeatedTextIsMadeUnique(t *testing.T) {
	sc, _ := ParseScript("<think>\nWait, check. Wait, check.\n\nWait, check again.\n\n</think>\n\nDone. Done.")
	m, err := Build(Spec{Family: "qwen3", Script: sc})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, tok := range m.Vocab.Tokens {
		if seen[tok] {
			t.Fatalf("duplicate token string %q", tok)
		}
		seen[tok] = true
	}
	if got := m.Vocab.Decode(m.Follow(m.PromptLast, 1000)); got != "<think>"+sc.Thinking+"</think>"+sc.Answer {
		t.Errorf("model generates %q", got)
	}
}

func TestBuildFamilies(t *testing.T) {
	for _, fam := range Families() {
		t.Run(fam, func(t *testing.T) {
			f, _ := LookupFamily(fam)
			text := "<think>\nFirst thought here.\n\nSecond idea now.\n\n</think>\n\nFinal answer."
			if f.Open == "" {
				text = "Final answer."
			} else if f.Open != "<think>" {
				text = strings.NewReplacer("<think>", f.Open, "</think>", f.Close).Replace(text)
			}
			sc, err := ParseScript(text)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Build(Spec{Family: fam, Script: sc})
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Vocab.Decode(m.Follow(m.PromptLast, 1000)); got != text {
				t.Errorf("generates %q, want %q", got, text)
			}
			if !m.RoundTrips() {
				t.Errorf("script does not round-trip: %v vs %v", m.Vocab.Encode(m.Text()), m.Main)
			}
			if m.VocabSize() > m.dim {
				t.Errorf("vocab %d > dim %d", m.VocabSize(), m.dim)
			}
		})
	}
}

func TestLoopNeverCloses(t *testing.T) {
	sc, _ := ParseScript("<think>\nI think about it.\n\nThen I reconsider.\n\n")
	m, err := Build(Spec{Family: "qwen3", Script: sc})
	if err != nil {
		t.Fatal(err)
	}
	out := m.Vocab.Decode(m.Follow(m.PromptLast, 500))
	if strings.Contains(out, "</think>") || strings.Count(out, "I think about it.") < 10 {
		t.Errorf("loop output %q", out[:200])
	}
}

func TestContinuation(t *testing.T) {
	sc, _ := ParseScript("<think>\nShort.\n\n</think>\n\nYes.")
	m, err := Build(Spec{Family: "qwen3", Script: sc, Continuations: []Continuation{
		{After: "Wait", Thinking: ", let me look again.\n\n"},
		{After: "Думаю по-русски.", Thinking: "\nСначала проверим.\n\n"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ prompt, want string }{
		{"<think>\nShort.\n\nWait", ", let me look again.\n\n</think>\n\nYes."},
		{"<think>Думаю по-русски.", "\nСначала проверим.\n\n</think>\n\nYes."},
	} {
		ids := m.Vocab.Encode(tc.prompt)
		if got := m.Vocab.Decode(m.Follow(ids[len(ids)-1], 100)); got != tc.want {
			t.Errorf("after %q: %q, want %q", tc.prompt, got, tc.want)
		}
	}
}

func TestEncodeMatchesPieces(t *testing.T) {
	sc, _ := ParseScript("<think>\nСначала сложим числа.\n\n先加起来再检查。\n\n</think>\n\nОтвет: 4.")
	m, err := Build(Spec{Family: "qwen3", Script: sc})
	if err != nil {
		t.Fatal(err)
	}
	if !m.RoundTrips() {
		t.Fatalf("multilingual script does not round-trip")
	}
	// Unknown characters fall back to bytes and decode back.
	ids := m.Vocab.Encode("zq€")
	if m.Vocab.Decode(ids) != "zq€" {
		t.Errorf("byte fallback decodes to %q", m.Vocab.Decode(ids))
	}
}
