package models

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ollama/ollama/api"
)

// NotFoundError says the server has no model by that name, so that the
// command can say how to pull it.
type NotFoundError struct{ Name string }

func (e NotFoundError) Error() string { return "model " + e.Name + " not found" }

// WrapNotFound marks a server's 404 for the model as a NotFoundError, the
// server's own error kept in the chain; any other error is returned as it is.
func WrapNotFound(err error, name string) error {
	var se api.StatusError
	if errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%w: %w", NotFoundError{name}, err)
	}
	return err
}
