package proxy

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultShutdownGrace is how long Serve lets the streams in flight end
// by themselves once its context ends, when Config sets no ShutdownGrace.
const DefaultShutdownGrace = 3 * time.Second

// flushTimeout bounds the wait, after the streams were cut, for their runs
// to end and hand their records to Config.OnRecord.
const flushTimeout = 10 * time.Second

// Serve serves a proxy for cfg on l until ctx ends, then stops: it
// accepts no more connections, lets the streams in flight end for
// cfg.ShutdownGrace, cuts those still running (which cancels their
// upstream generations and ends their runs as interrupted), and returns
// once every run in flight has handed its record to cfg.OnRecord. The end
// of ctx is not an error. Serve closes l.
func Serve(ctx context.Context, l net.Listener, cfg Config) error {
	p, err := New(cfg)
	if err != nil {
		l.Close()
		return err
	}
	var inflight sync.WaitGroup
	var mu sync.Mutex // orders Add against the final Wait
	stopped := false
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if stopped {
			mu.Unlock()
			writeError(w, http.StatusServiceUnavailable, "rein proxy is stopping")
			return
		}
		inflight.Add(1)
		mu.Unlock()
		defer inflight.Done()
		p.ServeHTTP(w, r)
	})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          log.New(logWriter(p.logf), "rein proxy: ", 0),
		// Requests outlive ctx until the grace ends: a stream in flight
		// may finish by itself.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	grace := cfg.ShutdownGrace
	if grace <= 0 {
		grace = DefaultShutdownGrace
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close() // cuts the streams still running
	}
	serveErr := <-served
	// Close does not wait for the handlers: wait for their runs to end, so
	// that every record reaches OnRecord before Serve returns.
	mu.Lock()
	stopped = true
	mu.Unlock()
	flushed := make(chan struct{})
	go func() { inflight.Wait(); close(flushed) }()
	select {
	case <-flushed:
	case <-time.After(flushTimeout):
		return fmt.Errorf("runs still in flight %s after the proxy stopped: their records may be missing from the log", flushTimeout)
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serveErr)
	}
	return nil
}

// logWriter adapts a printf function to an io.Writer for log.Logger.
type logWriter func(format string, a ...any)

func (f logWriter) Write(b []byte) (int, error) {
	f("%s", strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
