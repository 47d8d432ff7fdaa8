package main

import (
	"os"
	"path/filepath"

	"github.com/ollama/ollama/envconfig"

	"github.com/rein-dev/rein/runner"
)

// contextsDir is the folder, in the state folder, that holds the context
// policy's state: one file per server (runner.ContextState).
const contextsDir = "contexts"

// startedKVCacheType is the KV cache type of the server this process
// started (connect), whose environment rein knows; "" for a server it did
// not start, whose cache rein takes for Ollama's default.
var startedKVCacheType string

// startedServerEnv records the environment of a server this process
// starts: it inherits rein's.
func startedServerEnv() { startedKVCacheType = os.Getenv("OLLAMA_KV_CACHE_TYPE") }

// contextConfig is the context policy's configuration for a run on the
// server at OLLAMA_HOST; warn receives the memory warning before the run.
func contextConfig(warn func(string)) runner.ContextConfig {
	c := runner.ContextConfig{KVCacheType: startedKVCacheType, Warn: warn}
	if dir := stateDir(); dir != "" {
		c.State = runner.NewContextState(filepath.Join(dir, contextsDir), envconfig.Host().Host)
	}
	return c
}
