package monitor

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// /readyz and /healthz answer what their checks say, and avssync_ready mirrors /readyz.
func TestHealthEndpoints(t *testing.T) {
	var notReady, wedged atomic.Bool
	checks := Checks{
		Ready: func() error {
			if notReady.Load() {
				return errors.New("chain head 7 has not advanced for 1m")
			}
			return nil
		},
		Live: func() error {
			if wedged.Load() {
				return errors.New("update loop has not run for 3m")
			}
			return nil
		},
	}
	reg := prometheus.NewRegistry()
	srv, err := Listen("127.0.0.1:0", reg, checks, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + srv.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	ready := func() float64 { return gauge(t, reg, "avssync_ready") }

	if code, _ := get("/readyz"); code != 200 || ready() != 1 {
		t.Fatalf("/readyz %d, avssync_ready %v; want 200 and 1", code, ready())
	}
	notReady.Store(true)
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "has not advanced") || ready() != 0 {
		t.Fatalf("/readyz %d %q, avssync_ready %v; want 503 with the reason and 0", code, body, ready())
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz %d while only unready, want 200", code)
	}
	wedged.Store(true)
	if code, body := get("/healthz"); code != 503 || !strings.Contains(body, "has not run") {
		t.Fatalf("/healthz %d %q, want 503 with the reason", code, body)
	}
	if _, body := get("/metrics"); !strings.Contains(body, "avssync_ready 0") {
		t.Fatalf("/metrics lacks avssync_ready 0:\n%s", body)
	}
}

// gauge reads a gauge's value from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no %s registered", name)
	return 0
}
