// Package ollamatest runs a package's tests against a real ollama server:
// RunMain starts one private server (internal/localserver) for the
// package, and Need skips the tests that need it where there is none.
package ollamatest

import "github.com/rein-dev/rein/internal/localserver"

// The server itself lives in internal/localserver, which the demo uses too.
type (
	Server    = localserver.Server
	Options   = localserver.Options
	CacheSlot = localserver.CacheSlot
)

var (
	// Start starts a server and waits until it answers.
	Start = localserver.Start
	// FindBinary returns the ollama binary the tests run on.
	FindBinary = localserver.FindBinary
	// ErrNoBinary means no ollama binary was found.
	ErrNoBinary = localserver.ErrNoBinary
)
