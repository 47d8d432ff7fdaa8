package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// readRecs reads every record of a log, failing on lines that do not parse.
func readRecs(t *testing.T, path string) ([]logRec, bool) {
	t.Helper()
	var recs []logRec
	torn, err := ReadJSONL(path, func(line []byte) error {
		var r logRec
		if err := json.Unmarshal(line, &r); err != nil {
			return fmt.Errorf("line %q: %w", line, err)
		}
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs, torn
}

func TestAppendJSONLModes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "runs.jsonl")
	if err := AppendJSONL(path, logRec{Who: "x"}, 0); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v, want mode 0600", path, err)
	}
	if err := AppendJSONL(path, func() {}, 0); err == nil {
		t.Error("unmarshalable value: no error")
	}
	// A missing folder is an error in one line, and is not created.
	missing := filepath.Join(dir, "a", "b", "runs.jsonl")
	err := AppendJSONL(missing, logRec{Who: "x"}, 0)
	want := "append " + missing + ": no such folder: " + filepath.Dir(missing)
	if err == nil || err.Error() != want || !errors.Is(err, ErrNoFolder) {
		t.Errorf("missing folder: error %v, want %q", err, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the folder was created: %v", err)
	}
}

// TestAppendJSONLTornTail: an append never glues its line to the last one:
// a torn last line is cut off (and counted), a whole one without its
// newline is kept and ended.
func TestAppendJSONLTornTail(t *testing.T) {
	const rec = `{"who":"new","i":0,"pad":""}` + "\n"
	tests := []struct {
		name, before, after string
		torn                int64
	}{
		{"empty", "", rec, 0},
		{"ends in a newline", `{"a":1}` + "\n", `{"a":1}` + "\n" + rec, 0},
		{"torn last line", `{"a":1}` + "\n" + `{"who":"ol`, `{"a":1}` + "\n" + rec, 10},
		{"the only line is torn", `{"who":"ol`, rec, 10},
		{"a whole record without its newline", `{"a":1}` + "\n" + `{"b":2}`, `{"a":1}` + "\n" + `{"b":2}` + "\n" + rec, 0},
		{"torn after blank lines", "\n\n{", "\n\n" + rec, 1},
		{"a torn line longer than a read block", `{"a":1}` + "\n" + `{"x":"` + strings.Repeat("y", 100<<10), `{"a":1}` + "\n" + rec, 6 + 100<<10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "runs.jsonl")
			if err := os.WriteFile(path, []byte(tt.before), 0o600); err != nil {
				t.Fatal(err)
			}
			torn, err := AppendJSONLTorn(path, logRec{Who: "new"}, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tt.after || torn != tt.torn {
				t.Errorf("file %.80q, cut %d; want %.80q, cut %d", got, torn, tt.after, tt.torn)
			}
		})
	}
}

// TestAppendJSONLFileSizeLimit: a record that does not fit under the file
// size limit (ulimit -f) is an error and leaves no partial line; the next
// append, without the limit, starts a line of its own.
func TestAppendJSONLFileSizeLimit(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	argv := helperArgv(t, "append", path)
	t.Setenv("REIN_APPEND_N", "100")
	t.Setenv("REIN_APPEND_WHO", "limited")
	// ulimit -f 3: 1536 bytes, a few records of 100 to 1000 bytes.
	cmd := exec.Command("sh", append([]string{"-c", `ulimit -f 3 && exec "$@"`, "sh"}, argv...)...)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "file too large") || strings.Count(strings.TrimSpace(string(out)), "\n") != 0 {
		t.Fatalf("limited append: %v, output %q; want one line saying the file is too large", err, out)
	}
	data, _ := os.ReadFile(path)
	if len(data) == 0 || data[len(data)-1] != '\n' {
		t.Fatalf("a partial line was left: %q", data[max(0, len(data)-40):])
	}
	if err := AppendJSONL(path, logRec{Who: "after"}, 0); err != nil {
		t.Fatal(err)
	}
	recs, torn := readRecs(t, path)
	if torn || len(recs) < 2 || recs[len(recs)-1].Who != "after" {
		t.Errorf("%d records, torn %v", len(recs), torn)
	}
}

// TestAppendJSONLConcurrent appends from many goroutines and from two other
// processes at once; every line must come out whole, and none lost.
func TestAppendJSONLConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	const goroutines, perG, procs, perP = 8, 150, 2, 300
	t.Setenv("REIN_APPEND_N", fmt.Sprint(perP))
	var cmds []*exec.Cmd
	for p := range procs {
		cmd := exec.Command(helperArgv(t, "append", path)[0], helperArgv(t, "append", path)[1:]...)
		cmd.Env = append(os.Environ(), fmt.Sprintf("REIN_APPEND_WHO=proc%d", p))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		t.Cleanup(func() {
			if stderr.Len() > 0 {
				t.Logf("proc%d stderr: %s", p, stderr.String())
			}
		})
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				rec := logRec{Who: fmt.Sprintf("g%d", g), I: i, Pad: strings.Repeat("y", 50+(i*37)%3000)}
				if err := AppendJSONL(path, rec, 0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper: %v", err)
		}
	}
	recs, torn := readRecs(t, path)
	if torn {
		t.Error("torn last line")
	}
	next := map[string]int{}
	for _, r := range recs {
		if r.I != next[r.Who] {
			t.Fatalf("%s: record %d after %d", r.Who, r.I, next[r.Who]-1)
		}
		next[r.Who]++
	}
	if want := goroutines*perG + procs*perP; len(recs) != want {
		t.Errorf("%d records, want %d (%v)", len(recs), want, next)
	}
}

func TestAppendJSONLRotate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	rec := func(i int) logRec { return logRec{Who: "r", I: i, Pad: strings.Repeat("z", 70)} } // ~100 bytes
	ids := func(p string) []int {
		var out []int
		recs, _ := readRecs(t, p)
		for _, r := range recs {
			out = append(out, r.I)
		}
		return out
	}
	for i := range 5 {
		if err := AppendJSONL(path, rec(i), 150); err != nil {
			t.Fatal(err)
		}
		switch i {
		case 1:
			if _, err := os.Stat(path + ".1"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("rotated too early: %v", err)
			}
		case 2:
			if got := ids(path + ".1"); !reflect.DeepEqual(got, []int{0, 1}) {
				t.Errorf("after 3: .1 holds %v", got)
			}
		}
	}
	if got := ids(path + ".1"); !reflect.DeepEqual(got, []int{2, 3}) {
		t.Errorf(".1 holds %v, want [2 3] (the older .1 replaced)", got)
	}
	if got := ids(path); !reflect.DeepEqual(got, []int{4}) {
		t.Errorf("log holds %v, want [4]", got)
	}
	if fi, _ := os.Stat(path + ".1"); fi.Mode().Perm() != 0o600 {
		t.Errorf(".1 mode %v", fi.Mode().Perm())
	}
}

// TestAppendJSONLRotateConcurrent rotates often while goroutines append:
// whatever survives in the log and its .1 must be whole lines, and each
// writer's records in the current log must be in order.
func TestAppendJSONLRotateConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				if err := AppendJSONL(path, logRec{Who: fmt.Sprint(g), I: i, Pad: "p"}, 2000); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, p := range []string{path + ".1", path} {
		recs, torn := readRecs(t, p)
		if torn || len(recs) == 0 {
			t.Errorf("%s: torn %v, %d records", p, torn, len(recs))
		}
		last := map[string]int{}
		for _, r := range recs {
			if prev, ok := last[r.Who]; ok && r.I <= prev {
				t.Errorf("%s: writer %s record %d after %d", p, r.Who, r.I, prev)
			}
			last[r.Who] = r.I
		}
	}
	// A file is rotated as soon as it is over 2000 bytes, so neither may
	// hold more than that plus one line (each line is under 60 bytes).
	for _, p := range []string{path + ".1", path} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > 2000+60 {
			t.Errorf("%s is %d bytes with rotation at 2000", p, fi.Size())
		}
	}
}

func TestReadJSONL(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string
		torn          bool
	}{
		{"whole", "{\"a\":1}\n{\"a\":2}\n", []string{`{"a":1}`, `{"a":2}`}, false},
		{"blank lines", "\n{\"a\":1}\n\n \t\r\n{\"a\":2}\r\n\n", []string{`{"a":1}`, `{"a":2}`}, false},
		{"empty", "", nil, false},
		{"no newline", "{\"a\":1}\n{\"a\":2}", []string{`{"a":1}`}, true},
		{"cut mid value", "{\"a\":1}\n{\"a\":", []string{`{"a":1}`}, true},
		{"invalid last line", "{\"a\":1}\n{\"a\n", []string{`{"a":1}`}, true},
		{"invalid last line then blank", "{\"a\":1}\n{\"a\n\n", []string{`{"a":1}`}, true},
		{"invalid middle line is passed on", "{\"a\":1}\nnope\n{\"a\":2}\n", []string{`{"a":1}`, "nope", `{"a":2}`}, false},
		{"only torn", "{\"a", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.jsonl")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			var got []string
			torn, err := ReadJSONL(path, func(line []byte) error {
				got = append(got, string(line))
				return nil
			})
			if err != nil || torn != tt.torn || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q torn %v err %v; want %q torn %v", got, torn, err, tt.want, tt.torn)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "x.jsonl")
	os.WriteFile(path, []byte("{}\n{}\n{}\n"), 0o600)
	stop := errors.New("stop")
	n := 0
	if _, err := ReadJSONL(path, func([]byte) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("fn error: got %v after %d calls", err, n)
	}
	if _, err := ReadJSONL(path+".missing", func([]byte) error { return nil }); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) { w.n++; return 0, errors.New("disk full") }

func TestEventLog(t *testing.T) {
	var buf bytes.Buffer
	h := NewEventLog(&buf)
	ctx := context.Background()
	evs := []Event{
		{Kind: KindRunStart, RunID: "r", Seq: 1},
		{Kind: KindToken, RunID: "r", Seq: 2, Phase: PhaseThinking, Text: "Hi\n", ThinkingTokens: 1},
		{Kind: KindCut, RunID: "r", Seq: 3, Reason: ReasonLoop, Repeats: 3, Signal: SignalNgram},
	}
	for i := range evs {
		if d := h.OnEvent(ctx, &evs[i]); d.Action != Continue {
			t.Errorf("event log decided %+v", d)
		}
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(evs) {
		t.Fatalf("%d lines: %q", len(lines), buf.String())
	}
	for i, l := range lines {
		var got Event
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatal(err)
		}
		if got != evs[i] {
			t.Errorf("line %d: %+v, want %+v", i, got, evs[i])
		}
	}
	fw := &failWriter{}
	h = NewEventLog(fw)
	for i := range evs {
		h.OnEvent(ctx, &evs[i])
	}
	if fw.n != 1 {
		t.Errorf("failing writer written %d times, want 1", fw.n)
	}
}

// TestLockJSONL: one holder at a time; appends through the holder keep
// lines whole from many goroutines, and a torn tail is cut when it locks.
func TestLockJSONL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	if err := os.WriteFile(path, []byte(`{"who":"a","i":0,"pad":""}`+"\n"+`{"who":"b","i`), 0o600); err != nil {
		t.Fatal(err)
	}
	l, torn, err := LockJSONL(path)
	if err != nil || torn != 13 {
		t.Fatalf("lock: torn %d, %v", torn, err)
	}
	if _, _, err := LockJSONL(path); !errors.Is(err, ErrLocked) {
		t.Errorf("second lock: %v, want ErrLocked", err)
	}
	if err := CheckJSONLFree(path); !errors.Is(err, ErrLocked) {
		t.Errorf("check while held: %v, want ErrLocked", err)
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if err := l.Append(logRec{Who: "c", I: i, Pad: strings.Repeat("x", i*100)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	l.Close()
	recs, torn2 := readRecs(t, path)
	if len(recs) != 51 || torn2 {
		t.Errorf("%d records, torn %v", len(recs), torn2)
	}
	if err := CheckJSONLFree(path); err != nil {
		t.Errorf("check after Close: %v", err)
	}
	l2, _, err := LockJSONL(path)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	l2.Close()
	dir := t.TempDir()
	if err := CheckJSONLFree(filepath.Join(dir, "new.jsonl")); err != nil {
		t.Errorf("check of a new file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new.jsonl")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the check created the file: %v", err)
	}
	for _, check := range []func(string) error{
		func(p string) error { _, _, err := LockJSONL(p); return err },
		CheckJSONLFree,
	} {
		if err := check(filepath.Join(dir, "no", "r.jsonl")); !errors.Is(err, ErrNoFolder) {
			t.Errorf("missing folder: %v", err)
		}
	}
}
