package models

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ParseOptions turns repeated --option key=value flags into Ollama options.
// Values are read as JSON where they parse (numbers, booleans, arrays),
// else as strings.
func ParseOptions(kvs []string) (map[string]any, error) {
	out := map[string]any{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("--option %q: want key=value", kv)
		}
		val := parseValue(v)
		if s, ok := val.(string); ok && k == "stop" {
			val = []any{s} // --option stop=### is one stop sequence
		}
		if err := CheckOption(k, val); err != nil {
			return nil, fmt.Errorf("--option %s: %v", kv, err)
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
