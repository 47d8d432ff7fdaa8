package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ollama/ollama/envconfig"
)

// DefaultListen is where the proxy listens by default: loopback, next to
// Ollama's own port.
const DefaultListen = "127.0.0.1:11435"

// UsageError is a listen address or an upstream the proxy refuses: the
// command line's mistake, which no retry mends.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &UsageError{fmt.Sprintf(format, a...)} }

// IsUsage reports whether err is a UsageError.
func IsUsage(err error) bool {
	var ue *UsageError
	return errors.As(err, &ue)
}

// ParseUpstream reads an upstream as OLLAMA_HOST does: host, host:port or
// an http(s) URL, the port 11434 for http and 443 for https; "" is
// OLLAMA_HOST's.
func ParseUpstream(s string) (*url.URL, error) {
	if strings.TrimSpace(s) == "" {
		return envconfig.Host(), nil
	}
	raw := strings.TrimSpace(s)
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, usagef("--upstream %q: want host:port or an http(s) URL", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, usagef("--upstream %q: no credentials, query or fragment", s)
	}
	if u.Port() == "" {
		port := "11434"
		if u.Scheme == "https" {
			port = "443"
		}
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

// CheckListen refuses an address beyond loopback unless allowRemote,
// before any socket is bound: all interfaces (0.0.0.0, [::], no host), an
// address of another interface, or a name that resolves to one. Listen
// checks the address again once bound.
func CheckListen(ctx context.Context, listen string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return usagef("--listen %q: want host:port, such as %s", listen, DefaultListen)
	}
	if allowRemote || loopbackHost(ctx, host) {
		return nil
	}
	return usagef("--listen %s is not a loopback address: add --allow-remote to serve other machines", listen)
}

// Listen binds listen for Serve, refusing, once bound, an address beyond
// loopback unless allowRemote and an address that is the upstream itself.
// loopback says whether the address is loopback (Config.AnyHost is its
// opposite).
func Listen(listen string, up *url.URL, allowRemote bool) (l net.Listener, loopback bool, err error) {
	l, err = net.Listen("tcp", listen)
	if err != nil {
		return nil, false, fmt.Errorf("listen on %s: %w", listen, err)
	}
	addr := l.Addr().(*net.TCPAddr)
	loopback = addr.IP.IsLoopback()
	switch {
	case !loopback && !allowRemote:
		err = usagef("--listen %s is not a loopback address: add --allow-remote to serve other machines", listen)
	case isSelf(up, addr):
		err = usagef("--upstream %s is the proxy itself", up.Host)
	}
	if err != nil {
		l.Close()
		return nil, false, err
	}
	return l, loopback, nil
}

// loopbackHost reports whether every address host stands for is a
// loopback one; "" (all interfaces) is not.
func loopbackHost(ctx context.Context, host string) bool {
	if host == "" {
		return false
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.IsLoopback()
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(rctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return false
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return false
		}
	}
	return true
}

// isSelf reports whether the upstream is the proxy's own address.
func isSelf(up *url.URL, addr *net.TCPAddr) bool {
	if up.Port() != strconv.Itoa(addr.Port) {
		return false
	}
	h := up.Hostname()
	if h == "localhost" {
		return addr.IP.IsLoopback() || addr.IP.IsUnspecified()
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.Equal(addr.IP) || addr.IP.IsUnspecified() && (ip.IsLoopback() || ip.IsUnspecified()))
}
