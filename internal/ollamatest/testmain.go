package ollamatest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"
)

// RunMain is a TestMain body for packages with tests against a real server:
// it starts one server for the package, runs the tests and stops it. With
// -short, or when no ollama binary is built and REIN_REQUIRE_OLLAMA is not
// set, the tests run with *srv nil and the server tests skip (see Need).
//
// It also sets REIN_STALL_TIMEOUT to 5s unless it is set: the scripted
// models answer in milliseconds, so a request to a model that has not
// answered in 5s after an abandoned stream has met Ollama's lost-slot bug
// (see runner/wedge.go), and the default of 30s would only slow the tests.
func RunMain(m *testing.M, srv **Server, opts Options) int {
	flag.Parse()
	if os.Getenv("REIN_STALL_TIMEOUT") == "" {
		os.Setenv("REIN_STALL_TIMEOUT", "5s")
	}
	if !testing.Short() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		s, err := Start(ctx, opts)
		cancel()
		switch {
		case err == nil:
			*srv = s
			defer s.Stop()
		case errors.Is(err, ErrNoBinary) && os.Getenv("REIN_REQUIRE_OLLAMA") == "":
			fmt.Fprintln(os.Stderr, "ollamatest: skipping server tests:", err)
		default:
			fmt.Fprintln(os.Stderr, "ollamatest: cannot start ollama:", err)
			return 1
		}
	}
	code := m.Run()
	if code != 0 && *srv != nil {
		fmt.Fprintf(os.Stderr, "ollamatest: server log tail (%s):\n%s\n", (*srv).LogPath, (*srv).LogTail(4000))
	}
	return code
}

// Need skips a test that needs the server when there is none.
func Need(t testing.TB, s *Server) *Server {
	t.Helper()
	if s == nil {
		if testing.Short() {
			t.Skip("server test skipped in -short mode")
		}
		t.Skip("no ollama binary (run `make ollama`)")
	}
	return s
}
