package models

import (
	"strings"
	"testing"
)

func TestCheckOption(t *testing.T) {
	tests := []struct {
		key     string
		val     any
		wantErr string
	}{
		{"temperature", 0.6, ""},
		{"temperature", 1, ""}, // YAML reads 1 as an int
		{"num_ctx", int64(8192), ""},
		{"num_ctx", 8192.0, ""},
		{"stop", []any{"</s>", "###"}, ""},
		{"stop", []string{"</s>"}, ""},
		{"use_mmap", false, ""},
		{"num_thread", 4, ""}, // a runner option
		{"temprature", 0.6, `unknown Ollama option "temprature"`},
		{"temperature", "hot", `option "temperature" must be a number, not hot`},
		{"num_ctx", "big", `option "num_ctx" must be a whole number`},
		{"stop", "###", `option "stop" must be a list of strings`},
		{"use_mmap", "yes", `option "use_mmap" must be true or false`},
		{"stop", []any{"</s>", 7}, `option "stop" must be a list of strings`},
		// Ollama v0.34: main_gpu is a *int (set means pinned to that GPU),
		// draft_num_predict is new, typical_p is refused with a 400.
		{"main_gpu", 0, ""},
		{"main_gpu", 1.0, ""},
		{"main_gpu", "first", `option "main_gpu" must be a whole number`},
		{"draft_num_predict", 8, ""},
		{"draft_num_predict", 0, ""},
		{"draft_num_predict", "many", `option "draft_num_predict" must be a whole number`},
		{"typical_p", 0.5, `option "typical_p" is refused: Ollama no longer supports it and answers 400; use top_p or min_p`},
		{"typical_p", 1, `option "typical_p" is refused`},
		{"typical_p", "x", `option "typical_p" is refused`},
		{"typical_p", nil, ""}, // null is unset, which Ollama takes
		{"min_p", 0.05, ""},
		{"top_p", 0.95, ""},
	}
	for _, tt := range tests {
		err := CheckOption(tt.key, tt.val)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("CheckOption(%q, %v) = %v, want %q", tt.key, tt.val, err, tt.wantErr)
		}
	}
}
