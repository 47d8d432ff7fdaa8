package models

import "testing"

func TestCapsFor(t *testing.T) {
	tests := []struct {
		version string
		want    ServerCaps
	}{
		{"", ServerCaps{DebugCacheLine: true}},
		{"garbage", ServerCaps{Version: "garbage", DebugCacheLine: true}},
		{"0.12.10", ServerCaps{Version: "0.12.10", Known: true, DebugCacheLine: true}},
		{"0.17.4", ServerCaps{Version: "0.17.4", Known: true, Logprobs: true, DebugCacheLine: true}},
		{"0.24.0", ServerCaps{Version: "0.24.0", Known: true, Logprobs: true, ThinkMax: true, DebugCacheLine: true}},
		{"0.30.0-rc2", ServerCaps{Version: "0.30.0-rc2", Known: true, Logprobs: true, ThinkMax: true, LoadFixed: true}},
		{"0.33.2", ServerCaps{Version: "0.33.2", Known: true, Logprobs: true, ThinkMax: true, LoadFixed: true}},
		{"v0.34.4", ServerCaps{Version: "v0.34.4", Known: true, Logprobs: true, ThinkMax: true, LoadFixed: true, CachedCount: true}},
		{"0.0.0", ServerCaps{Version: "0.0.0", Known: true, DebugCacheLine: true}},
	}
	for _, tt := range tests {
		if got := CapsFor(tt.version); got != tt.want {
			t.Errorf("CapsFor(%q) = %+v, want %+v", tt.version, got, tt.want)
		}
	}
}
