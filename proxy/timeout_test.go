package proxy

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rein-dev/rein/internal/ollamatest"
	"github.com/rein-dev/rein/models"
)

// An upstream that accepts connections and never answers: the proxy's runs
// end with an error that names it, at the describe limit (issue 18).
func TestProxyUpstreamSilent(t *testing.T) {
	silent := ollamatest.SilentServer(t)
	t.Setenv(models.EnvDescribeTimeout, "300ms")
	t.Setenv(models.EnvStreamTimeout, "600ms")
	up := silent
	ps := newTestProxy(t, Config{Upstream: up, Logf: func(string, ...any) {}})
	client := &http.Client{Timeout: 20 * time.Second}
	start := time.Now()
	resp, err := client.Post(ps.URL+"/api/chat", "application/json",
		strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}],"think":true}`))
	if err != nil {
		t.Fatalf("the proxy did not answer: %v", err)
	}
	defer resp.Body.Close()
	took := time.Since(start)
	var body struct{ Error string }
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode < 500 || !strings.Contains(body.Error, up.Host) {
		t.Errorf("status %d, error %q: want a server error that names %s", resp.StatusCode, body.Error, up.Host)
	}
	if took > 5*time.Second {
		t.Errorf("took %v, want about the describe limit (300ms)", took)
	}
}
