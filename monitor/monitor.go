// Package monitor serves avs-sync's operational endpoints: Prometheus metrics on /metrics, liveness
// on /healthz and readiness on /readyz. Each health endpoint answers 200 with "ok" or "ready", or
// 503 with one line saying why not; the gauge avssync_ready mirrors /readyz at every scrape.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/internal/metricsreg"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ReadyFunc reports why the process is not ready (or not live), or nil when it is.
type ReadyFunc func() error

// Checks are what the health endpoints ask. A nil check always passes.
type Checks struct {
	// Ready answers /readyz: the process is doing its job (a stalled head or failing updates
	// make it unready, not dead).
	Ready ReadyFunc
	// Live answers /healthz: the process is not wedged; failing it asks for a restart.
	Live ReadyFunc
	// Scrub, when set, rewrites what the endpoints say before it is served: secrets out.
	Scrub func(string) string
}

// Server is the HTTP server of the operational endpoints.
type Server struct {
	srv *http.Server
	ln  net.Listener
	log *slog.Logger
}

// Limits bound what clients can hold of the server: a connection left open after its last
// answer, one slow to send its request or to read the answer, and how many are open at once.
// Without them a neighbour (the port listens on every interface by default) could keep
// connections, each a goroutine and its buffers, for as long as it liked.
type Limits struct {
	// IdleTimeout closes a keep-alive connection this long after its last answer.
	IdleTimeout time.Duration
	// ReadHeaderTimeout and ReadTimeout bound reading a request's headers and the whole request.
	ReadHeaderTimeout, ReadTimeout time.Duration
	// WriteTimeout bounds writing an answer (a scrape of a large registry included).
	WriteTimeout time.Duration
	// MaxConns is how many connections are open at once; more wait to be accepted, in the
	// kernel's backlog, until one closes.
	MaxConns int
}

// DefaultLimits suit a scrape every few seconds and the kubelet's probes, with room to spare:
// at the cap, idle connections hold about 20 MB.
var DefaultLimits = Limits{
	IdleTimeout:       60 * time.Second,
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       10 * time.Second,
	WriteTimeout:      30 * time.Second,
	MaxConns:          1024,
}

// Listen binds addr (":0" picks a free port), registers avssync_ready on reg and prepares the
// handlers, with DefaultLimits; Serve starts answering.
func Listen(addr string, reg *prometheus.Registry, checks Checks, log *slog.Logger) (*Server, error) {
	return ListenWith(addr, reg, checks, log, DefaultLimits)
}

// ListenWith is Listen with the given limits.
func ListenWith(addr string, reg *prometheus.Registry, checks Checks, log *slog.Logger, lim Limits) (*Server, error) {
	ready, live, scrub := orPass(checks.Ready), orPass(checks.Live), checks.Scrub
	if scrub == nil {
		scrub = func(s string) string { return s }
	}
	gauge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "avssync", Name: "ready",
		Help: "1 when /readyz answers 200, 0 when it answers 503."}, func() float64 {
		if ready() != nil {
			return 0
		}
		return 1
	})
	if err := metricsreg.All(reg, "readiness", gauge); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		reg.Unregister(gauge)
		return nil, fmt.Errorf("listen for metrics on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if err := live(); err != nil {
			http.Error(w, "unhealthy: "+scrub(err.Error()), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(); err != nil {
			http.Error(w, "not ready: "+scrub(err.Error()), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return &Server{
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: lim.ReadHeaderTimeout, ReadTimeout: lim.ReadTimeout,
			WriteTimeout: lim.WriteTimeout, IdleTimeout: lim.IdleTimeout},
		ln:  limitListener(ln, lim.MaxConns),
		log: log,
	}, nil
}

// Addr is the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve answers requests until ctx ends, then shuts the server down.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	s.log.Info("serving metrics and health", "addr", s.Addr(), "paths", "/metrics /healthz /readyz")
	select {
	case err := <-errc:
		return fmt.Errorf("metrics server: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(shutCtx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) {
		err = errors.Join(err, e)
	}
	return err
}

func orPass(f ReadyFunc) ReadyFunc {
	if f == nil {
		return func() error { return nil }
	}
	return f
}

// limitListener accepts at most n connections at once (n <= 0: no limit); Accept waits while n
// are open.
func limitListener(ln net.Listener, n int) net.Listener {
	if n <= 0 {
		return ln
	}
	return &countingListener{Listener: ln, slots: make(chan struct{}, n), closed: make(chan struct{})}
}

type countingListener struct {
	net.Listener
	// slots holds one token per open connection.
	slots     chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

func (l *countingListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &countedConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *countingListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// countedConn gives its slot back once closed.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
