package main

import (
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/runlog"
)

// parseOptions turns repeated --option key=value flags into Ollama
// options (models.ParseOptions); a bad one is a usage error.
func parseOptions(kvs []string) (map[string]any, error) {
	out, err := models.ParseOptions(kvs)
	if err != nil {
		return nil, usageError{err}
	}
	return out, nil
}

// stateDir is rein's state folder (runlog.StateDir).
func stateDir() string { return runlog.StateDir() }

// parseThink reads --think (models.ParseThink).
func parseThink(s string) (bool, string, error) { return models.ParseThink(s) }
