package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ollama/ollama/envconfig"
	"github.com/ollama/ollama/format"

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

// contextLine describes a run's context for --verbose: "8192 tokens
// (sized), KV cache ≈ 1.3 GB".
func contextLine(b runner.Budgets) string {
	s := fmt.Sprintf("%d tokens", b.NumCtx)
	if b.NumCtxSource != "" {
		s += " (" + b.NumCtxSource + ")"
	}
	if b.KVCacheBytes > 0 {
		s += ", KV cache ≈ " + format.HumanBytes(b.KVCacheBytes)
	}
	return s
}
