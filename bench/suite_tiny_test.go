package bench

import (
	"slices"
	"strings"
	"testing"
)

// The tiny suite (scripts/tiny/suite.py): a few hundred generated problems
// for the learned tiny reasoner, in English and French, each scored but the
// chains that loop.
func TestBuiltinTinySuite(t *testing.T) {
	s, ok := BuiltinSuite("tiny")
	if !ok {
		t.Fatal("no built-in suite tiny")
	}
	if len(s.Cases) < 200 {
		t.Errorf("%d cases, want 200 or more", len(s.Cases))
	}
	tasks, langs := map[string]int{}, map[string]int{}
	for _, c := range s.Cases {
		if len(c.Tags) != 2 {
			t.Fatalf("case %s: tags %q, want task and language", c.ID, c.Tags)
		}
		tasks[c.Tags[0]]++
		langs[c.Tags[1]]++
		if loop := c.Tags[0] == "loop"; loop != (c.Check == nil) {
			t.Errorf("case %s: check %v, want one on every case but the loops", c.ID, c.Check)
		}
		if !strings.HasPrefix(c.ID, c.Tags[0]+"-"+c.Tags[1]+"-") {
			t.Errorf("case %s: id does not name its task and language", c.ID)
		}
	}
	for _, k := range []string{"count", "add", "chain", "loop"} {
		if tasks[k] == 0 {
			t.Errorf("no %s case", k)
		}
	}
	if langs["en"] == 0 || langs["fr"] == 0 || len(langs) != 2 {
		t.Errorf("languages %v, want en and fr", langs)
	}
	c := s.Cases[slices.IndexFunc(s.Cases, func(c *Case) bool { return c.Tags[0] == "chain" })]
	if pass, detail := c.Check.Score("", "The key is in the "+strings.Trim(c.Check.Regex, `\b`)+"."); !pass {
		t.Errorf("case %s: the right container fails its check: %s", c.ID, detail)
	}
}
