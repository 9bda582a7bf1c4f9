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
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
}

// Server is the HTTP server of the operational endpoints.
type Server struct {
	srv *http.Server
	ln  net.Listener
	log *slog.Logger
}

// Listen binds addr (":0" picks a free port), registers avssync_ready on reg and prepares the
// handlers; Serve starts answering.
func Listen(addr string, reg *prometheus.Registry, checks Checks, log *slog.Logger) (*Server, error) {
	ready, live := orPass(checks.Ready), orPass(checks.Live)
	gauge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "avssync", Name: "ready",
		Help: "1 when /readyz answers 200, 0 when it answers 503."}, func() float64 {
		if ready() != nil {
			return 0
		}
		return 1
	})
	if err := reg.Register(gauge); err != nil {
		return nil, fmt.Errorf("register avssync_ready: %w", err)
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
			http.Error(w, "unhealthy: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return &Server{
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
		ln:  ln,
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
