package bench

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/rein-dev/rein/models"
)

// ServerDownError stops a bench whose server stopped answering: Failures
// runs in a row on one runner could not reach it. The runs not done are
// left for the next Run.
type ServerDownError struct {
	// Host is the server, as the runner's records name it ("" if they do
	// not); Cause is the last run's error.
	Host     string
	Failures int
	Cause    string
}

func (e *ServerDownError) Error() string {
	at := ""
	if e.Host != "" {
		at = " at " + e.Host
	}
	return fmt.Sprintf("the server%s stopped answering: %d runs in a row could not reach it (%s)", at, e.Failures, firstLine(e.Cause))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// connFailure reports whether a run's error says its server could not be
// reached: a refused, reset or unreachable connection, a dial that failed,
// or a server that accepts and never answers (models.TimeoutError). The error chain is read first; the text is a fallback for
// runners that flatten their errors.
func connFailure(err error) bool {
	if err == nil {
		return false
	}
	var oe *net.OpError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return true
	case errors.As(err, &oe) && oe.Op == "dial":
		return true
	case errors.As(err, new(*models.TimeoutError)):
		// Accepts connections and never answers: as dead, and each run
		// would wait the whole limit.
		return true
	}
	s := strings.ToLower(err.Error())
	for _, p := range []string{"connection refused", "connection reset", "no route to host", "network is unreachable", "dial tcp", "no answer from the server at"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}
