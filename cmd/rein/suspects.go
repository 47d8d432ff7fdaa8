package main

import (
	"net/url"
	"path/filepath"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/envconfig"

	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/runner"
)

// The models whose stream rein abandoned (runner/wedge.go) stay suspects
// across processes: a Ctrl-C ends a rein run mid-stream, and on an
// affected Ollama that can leave the model's runner wedged, so the next
// rein process on that server must watch it too. Each server's guard keeps
// them in the state folder (runner.Guard.Attach); main merges what this
// process learned at exit (runner.SaveGuards).

// suspectsFile is the file, in stateDir.
const suspectsFile = "suspects.json"

func suspectsPath() string {
	dir := stateDir()
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, suspectsFile)
}

// guardedClient is the client of the server at base, its wedge guard attached
// to the state file under the server's host.
func guardedClient(base *url.URL) (*api.Client, error) {
	c, err := models.ClientFor(base)
	if err == nil {
		runner.GuardOf(c).Attach(base.Host, suspectsPath())
	}
	return c, err
}

// envClient is guardedClient for the server at OLLAMA_HOST.
func envClient() (*api.Client, error) { return guardedClient(envconfig.Host()) }
