package models

import (
	"fmt"
	"strings"
)

// ParseThink reads a think setting (--think, /set think): true, false,
// or a level (low, medium, high).
func ParseThink(s string) (on bool, level string, err error) {
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
