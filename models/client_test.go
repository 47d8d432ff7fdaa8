package models

import (
	"github.com/rein-dev/rein/internal/ollamatest"

	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// fakeNDJSON is a fake NDJSON server: it answers every request after
// headerDelay with the given lines, flushed one by one, then stays silent
// for stall before it ends the response.
func fakeNDJSON(t testing.TB, headerDelay time.Duration, lines []string, stall time.Duration) *url.URL {
	t.Helper()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(headerDelay):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(http.StatusOK)
		for _, l := range lines {
			w.Write([]byte(l + "\n"))
			w.(http.Flusher).Flush()
		}
		select {
		case <-time.After(stall):
		case <-r.Context().Done():
		}
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}
}

func TestClientSilentServer(t *testing.T) {
	u := ollamatest.SilentServer(t)
	c := NewClient(u, Timeouts{Connect: time.Second, Describe: 200 * time.Millisecond, Stream: 400 * time.Millisecond, Idle: time.Second})
	cases := []struct {
		name  string
		call  func(ctx context.Context) error
		limit time.Duration
		env   string
	}{
		{"version", func(ctx context.Context) error { _, err := c.Version(ctx); return err }, 200 * time.Millisecond, EnvDescribeTimeout},
		{"tags", func(ctx context.Context) error { _, err := c.List(ctx); return err }, 200 * time.Millisecond, EnvDescribeTimeout},
		{"ps", func(ctx context.Context) error { _, err := c.ListRunning(ctx); return err }, 200 * time.Millisecond, EnvDescribeTimeout},
		{"show", func(ctx context.Context) error { _, err := c.Show(ctx, &api.ShowRequest{Model: "m"}); return err }, 200 * time.Millisecond, EnvDescribeTimeout},
		// A blob's headers come once its body went up: the stream limit.
		{"blob upload", func(ctx context.Context) error {
			return c.CreateBlob(ctx, "sha256:"+strings.Repeat("0", 64), strings.NewReader("gguf"))
		}, 400 * time.Millisecond, EnvStreamTimeout},
		{"generate", func(ctx context.Context) error {
			return c.Generate(ctx, &api.GenerateRequest{Model: "m"}, func(api.GenerateResponse) error { return nil })
		}, 400 * time.Millisecond, EnvStreamTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			err := tc.call(ctx)
			took := time.Since(start)
			var te *TimeoutError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a TimeoutError", err)
			}
			if took < tc.limit || took > tc.limit+2*time.Second {
				t.Errorf("took %v, want about %v", took, tc.limit)
			}
			msg := err.Error()
			for _, want := range []string{u.Host, tc.env, tc.limit.String()} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not name %q", msg, want)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error has several lines: %q", msg)
			}
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("error is not a net.Error timeout")
			}
		})
	}
}

func TestClientStreamLimits(t *testing.T) {
	chunk := `{"model":"m","response":"a","done":false}`
	final := `{"model":"m","response":"","done":true,"done_reason":"stop"}`
	cases := []struct {
		name      string
		header    time.Duration // the server's wait before its headers
		lines     []string
		stall     time.Duration // silence after the lines
		t         Timeouts
		wantErr   string // "" for none; else "headers" or "idle"
		wantChunk int
	}{
		// A stream's headers may wait for the model to load: the describe
		// limit does not apply to them.
		{"slow headers within the stream limit", 300 * time.Millisecond, []string{chunk, final}, 0,
			Timeouts{Describe: 100 * time.Millisecond, Stream: 2 * time.Second, Idle: time.Second}, "", 2},
		{"headers past the stream limit", time.Second, []string{chunk, final}, 0,
			Timeouts{Describe: 100 * time.Millisecond, Stream: 200 * time.Millisecond, Idle: time.Second}, "headers", 0},
		// Three chunks, then nothing: the idle limit ends it.
		{"silent mid-stream", 0, []string{chunk, chunk, chunk}, 5 * time.Second,
			Timeouts{Describe: time.Second, Stream: time.Second, Idle: 300 * time.Millisecond}, "idle", 3},
		{"no limits", 100 * time.Millisecond, []string{chunk, final}, 0, Timeouts{}, "", 2},
		// A pull's silent phases (a digest's verification) are no stall.
		{"a quiet pull", 0, []string{chunk}, 600 * time.Millisecond,
			Timeouts{Describe: time.Second, Stream: time.Second, Idle: 200 * time.Millisecond}, "", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := fakeNDJSON(t, tc.header, tc.lines, tc.stall)
			c := NewClient(u, tc.t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			n := 0
			var err error
			if strings.Contains(tc.name, "pull") {
				err = c.Pull(ctx, &api.PullRequest{Model: "m"}, func(api.ProgressResponse) error { n++; return nil })
			} else {
				err = c.Generate(ctx, &api.GenerateRequest{Model: "m"}, func(api.GenerateResponse) error { n++; return nil })
			}
			if n != tc.wantChunk {
				t.Errorf("got %d chunks, want %d", n, tc.wantChunk)
			}
			var te *TimeoutError
			switch tc.wantErr {
			case "":
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
			default:
				if !errors.As(err, &te) {
					t.Fatalf("err = %v, want a TimeoutError", err)
				}
				if te.Idle != (tc.wantErr == "idle") {
					t.Errorf("Idle = %v, want %v (%v)", te.Idle, tc.wantErr == "idle", err)
				}
				if !strings.Contains(err.Error(), u.Host) {
					t.Errorf("error %q does not name the server", err)
				}
			}
		})
	}
}

func TestTimeoutsFromEnv(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		want    Timeouts
		wantErr string
	}{
		{"defaults", nil, DefaultTimeouts(), ""},
		{"set", map[string]string{EnvDescribeTimeout: "5s", EnvStreamTimeout: "20m", EnvIdleTimeout: "0", EnvConnectTimeout: "1s"},
			Timeouts{Connect: time.Second, Describe: 5 * time.Second, Stream: 20 * time.Minute}, ""},
		{"not a duration", map[string]string{EnvIdleTimeout: "soon"}, Timeouts{}, EnvIdleTimeout},
		{"negative", map[string]string{EnvStreamTimeout: "-1s"}, Timeouts{}, EnvStreamTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{EnvConnectTimeout, EnvDescribeTimeout, EnvStreamTimeout, EnvIdleTimeout} {
				t.Setenv(k, tc.env[k])
			}
			got, err := TimeoutsFromEnv()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// BenchmarkClientStream streams 1000 NDJSON chunks from a loopback server
// through a client made by NewClient (headers and idle bounded: a timer
// reset per body read) and through api.NewClient with the default HTTP
// client, alternately in each iteration, and reports each one's time per
// chunk and their ratio:
//
//	go test -short ./models -run '^$' -bench ClientStream -count 6
func BenchmarkClientStream(b *testing.B) {
	chunk := `{"model":"m","response":"a","done":false}`
	lines := make([]string, 0, 1001)
	for range 1000 {
		lines = append(lines, chunk)
	}
	lines = append(lines, `{"model":"m","response":"","done":true,"done_reason":"stop"}`)
	u := fakeNDJSON(b, 0, lines, 0)
	clients := []*api.Client{NewClient(u, DefaultTimeouts()), api.NewClient(u, http.DefaultClient)}
	var spent [2]time.Duration
	ctx := context.Background()
	i := 0
	for b.Loop() {
		for k := range 2 {
			c := (i + k) % 2 // alternate which goes first
			start := time.Now()
			n := 0
			if err := clients[c].Generate(ctx, &api.GenerateRequest{Model: "m"}, func(api.GenerateResponse) error { n++; return nil }); err != nil || n != 1001 {
				b.Fatalf("%d chunks, %v", n, err)
			}
			spent[c] += time.Since(start)
		}
		i++
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(i) / 1001 }
	b.ReportMetric(per(spent[0]), "bounded-ns/chunk")
	b.ReportMetric(per(spent[1]), "default-ns/chunk")
	b.ReportMetric(float64(spent[0])/float64(spent[1]), "bounded/default")
}
