package main

import (
	"errors"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/ollama/ollama/envconfig"
	"github.com/spf13/pflag"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/models"
)

// humanize turns an error chain into one sentence that says what to do next.
func humanize(err error) string {
	if name := notFoundModel(err); name != "" {
		return "model " + name + " not found: run `rein pull " + name + "` (or `ollama pull " + name + "`)"
	}
	var ive *pflag.InvalidValueError
	if errors.As(err, &ive) && isBudgetFlag(ive.GetFlag().Name) {
		// A budget flag's own check says what it wants: "--max-steps must
		// be at most 1000000, not 2000000".
		return "--" + ive.GetFlag().Name + " " + oneLine(errors.Unwrap(ive).Error())
	}
	var te *models.TimeoutError
	if errors.As(err, &te) {
		return te.Error() // names the server and the limit to raise
	}
	var ue *url.Error
	var oe *net.OpError
	if errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &oe) && oe.Op == "dial" || errors.As(err, &ue) && strings.Contains(ue.Error(), "connection refused") {
		return "cannot reach Ollama at " + envconfig.Host().String() + ": start it with `ollama serve` or set OLLAMA_HOST"
	}
	return oneLine(err.Error())
}

func isBudgetFlag(name string) bool {
	_, ok := budget.Lookup(name, budget.ByFlag)
	return ok
}

// modelNotFoundError carries the model name of a 404 so main can say how to pull it.
type modelNotFoundError = models.NotFoundError

func notFoundModel(err error) string {
	var mnf modelNotFoundError
	if errors.As(err, &mnf) {
		return mnf.Name
	}
	return ""
}

// oneLine is term.OneLine.
func oneLine(s string) string { return term.OneLine(s) }

func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "requires at most", "invalid argument", "flag needs an argument"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}
