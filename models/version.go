package models

import (
	"strings"

	"golang.org/x/mod/semver"
)

// ServerCaps says what an Ollama server of one version does that rein must
// know. It comes from one table (serverFeatures), read from the Ollama
// sources of each version; the runner, the proxy and bench look it up with
// CapsFor instead of testing versions themselves.
type ServerCaps struct {
	// Version is the server's version as /api/version gave it ("" unknown).
	Version string
	// Known is false when the version could not be read or parsed: every
	// capability is then the oldest one.
	Known bool
	// Logprobs: generate and chat return per-token logprobs (v0.12.11).
	Logprobs bool
	// ThinkMax: think takes "max" as a level (v0.22.0).
	ThinkMax bool
	// LoadFixed: shift and num_ctx are fixed when the model loads, and a
	// request whose shift differs from the loaded runner's reloads it; every
	// GGUF runs in a llama-server process (v0.30.0).
	LoadFixed bool
	// CachedCount: the final chunk carries prompt_eval_cached_count, the
	// prompt tokens served from the cache (v0.33.3).
	CachedCount bool
	// DebugCacheLine: with OLLAMA_DEBUG=1 the runner logs "loading cache
	// slot ... used=N remaining=M" for each request (before v0.30.0).
	DebugCacheLine bool
}

// serverFeatures is the table: each row is a version and what it brought
// (or, for DebugCacheLine, took away).
var serverFeatures = []struct {
	since string
	set   func(*ServerCaps)
}{
	{"v0.12.11", func(c *ServerCaps) { c.Logprobs = true }},
	{"v0.22.0", func(c *ServerCaps) { c.ThinkMax = true }},
	{"v0.30.0", func(c *ServerCaps) { c.LoadFixed, c.DebugCacheLine = true, false }},
	{"v0.33.3", func(c *ServerCaps) { c.CachedCount = true }},
}

// OpenAIVersion is the version the openai backend reports for a server
// that speaks the OpenAI completions protocol (llama-server, vLLM,
// SGLang, Ollama's /v1), which gives no engine version.
const OpenAIVersion = "openai-completions"

// openAICaps is what rein can count on over that protocol: logprobs (the
// completions request's logprobs field; an engine that sends none leaves
// the counts to the usage), and a context and shift fixed when the engine
// starts, which no request can change. Cached prompt tokens come where the
// engine sends usage.prompt_tokens_details, not by version; no engine
// writes Ollama's cache-slot line.
var openAICaps = ServerCaps{Version: OpenAIVersion, Known: true, Logprobs: true, LoadFixed: true}

// CapsFor returns the capabilities of a server that reports version
// (as /api/version does: "0.17.4", "0.24.0-rc1", "v0.34.4"), or
// OpenAIVersion.
func CapsFor(version string) ServerCaps {
	if version == OpenAIVersion {
		return openAICaps
	}
	c := ServerCaps{Version: version, DebugCacheLine: true}
	v := strings.TrimSpace(version)
	if v != "" && v[0] != 'v' {
		v = "v" + v
	}
	if !semver.IsValid(v) {
		return c
	}
	c.Known = true
	// A pre-release of a version has what that version has: the feature
	// rows name releases, and release candidates carry their features.
	base := semver.Canonical(v)
	if pre := semver.Prerelease(base); pre != "" {
		base = strings.TrimSuffix(base, pre)
	}
	for _, f := range serverFeatures {
		if semver.Compare(base, f.since) >= 0 {
			f.set(&c)
		}
	}
	return c
}
