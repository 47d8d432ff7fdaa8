package main

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/runlog"
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

// stateDir is rein's state folder (runlog.StateDir).
func stateDir() string { return runlog.StateDir() }

// parseThink reads --think (models.ParseThink).
func parseThink(s string) (bool, string, error) { return models.ParseThink(s) }
