package monitor

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// serveWith runs a server with lim until the test ends.
func serveWith(t *testing.T, lim Limits) *Server {
	t.Helper()
	srv, err := ListenWith("127.0.0.1:0", prometheus.NewRegistry(), Checks{}, slog.New(slog.DiscardHandler), lim)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return srv
}

// keepAlive opens a connection, asks /healthz on it and leaves it open and idle.
func keepAlive(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: avs-sync\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	return c
}

// answered reads the answer to keepAlive's request within d.
func answered(c net.Conn, d time.Duration) error {
	c.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	return err
}

// closedBy reports whether the server has closed c by the deadline.
func closedBy(c net.Conn, deadline time.Time) bool {
	c.SetReadDeadline(deadline)
	_, err := c.Read(make([]byte, 1))
	return errors.Is(err, io.EOF)
}

// A thousand keep-alive connections left idle after one request each are closed by the server
// within its idle timeout, and the goroutines serving them end.
func TestIdleConnectionsClosed(t *testing.T) {
	const conns = 1000
	const idle = 2 * time.Second
	lim := DefaultLimits
	lim.IdleTimeout = idle
	srv := serveWith(t, lim)
	baseline := runtime.NumGoroutine()
	cs := make([]net.Conn, conns)
	for i := range cs {
		cs[i] = keepAlive(t, srv.Addr())
	}
	answeredAt := make([]time.Time, conns)
	for i, c := range cs {
		if err := answered(c, 10*time.Second); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		answeredAt[i] = time.Now()
	}
	idleSince := answeredAt[conns-1]
	held := runtime.NumGoroutine() - baseline
	for i, c := range cs {
		// The server closes each connection an idle timeout after its answer; 5 timeouts of
		// slack for a loaded machine, still far below "for as long as the client wants".
		if !closedBy(c, answeredAt[i].Add(5*idle)) {
			t.Fatalf("connection %d still open %v after its answer (idle timeout %v)", i, time.Since(answeredAt[i]).Round(time.Millisecond), idle)
		}
	}
	closedAfter := time.Since(idleSince)
	var now int
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(10 * time.Millisecond) {
		if now = runtime.NumGoroutine(); now <= baseline+10 {
			break
		}
	}
	if now > baseline+10 {
		t.Fatalf("%d goroutines after the connections closed, %d before them", now, baseline)
	}
	t.Logf("%d idle connections held %d goroutines; the last closed %v after the last answer (idle timeout %v); goroutines %d -> %d",
		conns, held, closedAfter.Round(time.Millisecond), idle, baseline, now)
}

// Past MaxConns a connection waits to be accepted until one of the others closes.
func TestConnectionCap(t *testing.T) {
	lim := DefaultLimits
	lim.MaxConns = 4
	srv := serveWith(t, lim)
	var open []net.Conn
	for range lim.MaxConns {
		c := keepAlive(t, srv.Addr())
		if err := answered(c, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
	}
	extra := keepAlive(t, srv.Addr())
	if err := answered(extra, 300*time.Millisecond); err == nil {
		t.Fatalf("a connection beyond the cap of %d was served", lim.MaxConns)
	}
	open[0].Close()
	if err := answered(extra, 10*time.Second); err != nil {
		t.Fatalf("the waiting connection was not served once another closed: %v", err)
	}
}

// The server Listen builds has every limit set.
func TestDefaultLimits(t *testing.T) {
	srv, err := Listen("127.0.0.1:0", prometheus.NewRegistry(), Checks{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.ln.Close()
	h := srv.srv
	if h.IdleTimeout <= 0 || h.ReadTimeout <= 0 || h.WriteTimeout <= 0 || h.ReadHeaderTimeout <= 0 {
		t.Errorf("timeouts idle %v read %v write %v header %v: each must be set", h.IdleTimeout, h.ReadTimeout, h.WriteTimeout, h.ReadHeaderTimeout)
	}
	if _, ok := srv.ln.(*countingListener); !ok {
		t.Error("no cap on concurrent connections")
	}
}

// What the health endpoints say goes through Scrub before it is served.
func TestHealthTextScrubbed(t *testing.T) {
	checks := Checks{
		Ready: func() error { return errors.New(`Post "http://node/v2/SECRETAPIKEY123": EOF`) },
		Live:  func() error { return errors.New("stalled at SECRETAPIKEY123") },
		Scrub: func(s string) string { return strings.ReplaceAll(s, "SECRETAPIKEY123", "[redacted]") },
	}
	srv, err := ListenWith("127.0.0.1:0", prometheus.NewRegistry(), checks, slog.New(slog.DiscardHandler), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	for _, path := range []string{"/readyz", "/healthz"} {
		resp, err := http.Get("http://" + srv.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(b), "SECRETAPIKEY123") || !strings.Contains(string(b), "[redacted]") {
			t.Errorf("%s: %d %q, want 503 with the text scrubbed", path, resp.StatusCode, b)
		}
	}
}
