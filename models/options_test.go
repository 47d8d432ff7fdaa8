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
	}
	for _, tt := range tests {
		err := CheckOption(tt.key, tt.val)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("CheckOption(%q, %v) = %v, want %q", tt.key, tt.val, err, tt.wantErr)
		}
	}
}
