package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeT records what Check reports.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Fatalf(string, ...any) { f.failed = true }
func (f *fakeT) Fatal(...any)          { f.failed = true }

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "x.golden"), []byte("same\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, got string
		update    bool
		fail      bool
	}{
		{"x.golden", "same\n", false, false},
		{"x.golden", "other\n", false, true},
		{"missing.golden", "any\n", false, true},
		{"new.golden", "written\n", true, false},
	} {
		if tt.update {
			t.Setenv("REIN_UPDATE_GOLDEN", "1")
		}
		f := &fakeT{TB: t}
		Check(f, tt.name, tt.got)
		if f.failed != tt.fail {
			t.Errorf("%s %q: failed %v, want %v", tt.name, tt.got, f.failed, tt.fail)
		}
	}
	if b, _ := os.ReadFile(filepath.Join("testdata", "new.golden")); string(b) != "written\n" {
		t.Errorf("REIN_UPDATE_GOLDEN=1 wrote %q", b)
	}
}
