package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rein-dev/rein/models"
)

// parseOptions turns repeated --option key=value flags into Ollama options.
// Values are read as JSON where they parse (numbers, booleans, arrays),
// else as strings.
func parseOptions(kvs []string) (map[string]any, error) {
	out := map[string]any{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, usageErrorf("--option %q: want key=value", kv)
		}
		val := parseValue(v)
		if s, ok := val.(string); ok && k == "stop" {
			val = []any{s} // --option stop=### is one stop sequence
		}
		if err := models.CheckOption(k, val); err != nil {
			return nil, usageErrorf("--option %s: %v", kv, err)
		}
		out[k] = val
	}
	return out, nil
}

func parseValue(v string) any {
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		return i
	}
	var x any
	if err := json.Unmarshal([]byte(v), &x); err == nil {
		return x
	}
	return v
}

// logMaxBytes is the size at which the run log rotates to runs.jsonl.1.
const logMaxBytes = 64 << 20

// defaultLogPath is $REIN_LOG, else $XDG_STATE_HOME/rein/runs.jsonl, else
// ~/.local/state/rein/runs.jsonl.
func defaultLogPath() string {
	if p := os.Getenv("REIN_LOG"); p != "" {
		return p
	}
	if dir := stateDir(); dir != "" {
		return filepath.Join(dir, "runs.jsonl")
	}
	return ""
}

// stateDir is rein's state folder: $XDG_STATE_HOME/rein, else
// ~/.local/state/rein; "" when there is no home.
func stateDir() string {
	state := os.Getenv("XDG_STATE_HOME")
	if state == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		state = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(state, "rein")
}

// parseThink reads --think: true, false, or a level (low, medium, high).
func parseThink(s string) (on bool, level string, err error) {
	switch strings.ToLower(s) {
	case "", "true", "on", "yes", "1":
		return true, "", nil
	case "false", "off", "no", "0":
		return false, "", nil
	case "low", "medium", "high":
		return true, strings.ToLower(s), nil
	}
	return false, "", fmt.Errorf("--think %q: want true, false, low, medium or high", s)
}
