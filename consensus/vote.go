package consensus

import (
	"crypto/rand"
	"encoding/hex"
)

// Tally is the outcome of a vote over chains' answers.
type Tally struct {
	// Keys are the chains' normalised answers, in chain order; "" for a
	// chain that gave none.
	Keys []string
	// Votes counts the chains per key; "" does not vote.
	Votes map[string]int
	// Winner is the index of the winning chain: the earliest chain whose
	// key has the most votes (so a tie goes to the key that came first).
	// It is -1 when no chain gave an answer.
	Winner int
	// Key is the winning key; "" when Winner is -1.
	Key string
}

// Vote normalises each answer and takes the majority. An answer that is
// "" (a chain that failed) or normalises to "" does not vote.
func Vote(answers []string) Tally {
	keys := make([]string, len(answers))
	for i, a := range answers {
		keys[i] = Normalise(a)
	}
	return VoteKeys(keys)
}

// VoteKeys takes the majority over keys already normalised.
func VoteKeys(keys []string) Tally {
	t := Tally{Keys: keys, Votes: map[string]int{}, Winner: -1}
	first := map[string]int{}
	for i, k := range keys {
		if k == "" {
			continue
		}
		if _, ok := first[k]; !ok {
			first[k] = i
		}
		t.Votes[k]++
	}
	for k, n := range t.Votes {
		switch best := t.Votes[t.Key]; {
		case t.Winner < 0, n > best, n == best && first[k] < t.Winner:
			t.Winner, t.Key = first[k], k
		}
	}
	return t
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
