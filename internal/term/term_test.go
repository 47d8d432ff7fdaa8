package term

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPsUntil(t *testing.T) {
	now := time.Now()
	tests := []struct {
		expires time.Time
		want    string
	}{
		{time.Time{}, "Never"},
		{now.Add(-time.Second), "Stopping..."},
		{now, "Stopping..."},
		{now.Add(4*time.Minute + 30*time.Second), "4 minutes from now"},
		{now.AddDate(300, 0, 0), "Forever"},
	}
	for _, tt := range tests {
		if got := Until(tt.expires, now); got != tt.want {
			t.Errorf("until(%v) = %q, want %q", tt.expires.Sub(now), got, tt.want)
		}
	}
}

func TestBenchProgress(t *testing.T) {
	// Plain lines: no more than one each 2s, and always the last one.
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	p := NewBenchProgress(&IOStreams{ErrOut: &buf}, "r.jsonl", func() time.Time { return now })
	p.Update(0, 4, 3)
	now = now.Add(time.Second)
	p.Update(1, 4, 3)
	now = now.Add(500 * time.Millisecond)
	p.Update(2, 4, 3) // too soon
	now = now.Add(3 * time.Second)
	p.Update(3, 4, 3)
	now = now.Add(500 * time.Millisecond)
	p.Update(4, 4, 3)
	p.Stop()
	want := "skipped 3 runs already in r.jsonl\n" +
		"bench: 1/4 runs (25%), 1s elapsed, about 3s left\n" +
		"bench: 3/4 runs (75%), 5s elapsed, about 2s left\n" +
		"bench: 4/4 runs (100%), 5s elapsed\n"
	if buf.String() != want {
		t.Errorf("lines:\n%s\nwant:\n%s", buf.String(), want)
	}

	// A terminal gets one bar with the count and a time estimate.
	buf.Reset()
	p = NewBenchProgress(&IOStreams{ErrOut: &buf, ErrIsTerminal: true}, "r.jsonl", nil)
	p.Update(0, 3, 1)
	for i := 1; i <= 3; i++ {
		p.Update(i, 3, 1)
	}
	p.Stop()
	s := buf.String()
	if !strings.HasPrefix(s, "skipped 1 run already in r.jsonl\n") || !strings.Contains(s, "bench") || !strings.Contains(s, "(3/3") || !strings.HasSuffix(s, "\n") {
		t.Errorf("bar:\n%q", s)
	}

	// Interrupted: the bar's line is ended.
	buf.Reset()
	p = NewBenchProgress(&IOStreams{ErrOut: &buf, ErrIsTerminal: true}, "r.jsonl", nil)
	p.Update(0, 3, 0)
	p.Update(1, 3, 0)
	p.Stop()
	if s := buf.String(); !strings.Contains(s, "(1/3") || !strings.HasSuffix(s, "\n") || strings.Contains(s, "skipped") {
		t.Errorf("interrupted bar:\n%q", s)
	}
}
