package rpcretry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/rpc"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/avs-sync/avs-sync/faultlog"
)

// script answers the requests it gets in turn: "502", "503", "429:<Retry-After>", "reset" (the
// connection dropped), "ok" (a JSON-RPC answer); past its end it answers "ok".
type script struct {
	mu    sync.Mutex
	steps []string
	n     int
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.ReadAll(r.Body)
	s.mu.Lock()
	step := "ok"
	if s.n < len(s.steps) {
		step = s.steps[s.n]
	}
	s.n++
	s.mu.Unlock()
	switch {
	case step == "reset":
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
	case strings.HasPrefix(step, "429"):
		if _, ra, ok := strings.Cut(step, ":"); ok {
			w.Header().Set("Retry-After", ra)
		}
		w.WriteHeader(http.StatusTooManyRequests)
	case step == "ok":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"jsonrpc":"2.0","id":1,"result":"0x10"}`)
	default:
		var code int
		fmt.Sscan(step, &code)
		w.WriteHeader(code)
		fmt.Fprint(w, "<html>"+strings.Repeat("gateway error page ", 1000)+"</html>")
	}
}

func (s *script) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

const (
	read  = `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`
	write = `{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x00"]}`
	batch = `[{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[]},{"jsonrpc":"2.0","id":2,"method":"eth_getBalance","params":[]}]`
	mixed = `[{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[]},{"jsonrpc":"2.0","id":2,"method":"eth_sendRawTransaction","params":[]}]`
)

func TestRoundTrip(t *testing.T) {
	cfg := Config{Attempts: 4, First: 100 * time.Millisecond, Max: time.Second}
	for _, tt := range []struct {
		name  string
		body  string
		steps []string
		// timeout bounds the request (0: none).
		timeout time.Duration
		// status is the answer's status (0: an error); sent the requests the server got; waits the
		// waits between them (rand at its top: the whole backoff).
		status int
		sent   int
		waits  []time.Duration
	}{
		{"a read answered at once", read, nil, 0, 200, 1, nil},
		{"a read retried past a 502, a 503 and a reset", read, []string{"502", "503", "reset"}, 0, 200, 4,
			[]time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}},
		{"a batch of reads retried", batch, []string{"504"}, 0, 200, 2, []time.Duration{100 * time.Millisecond}},
		{"a 429's Retry-After is waited", read, []string{"429:1"}, 0, 200, 2, []time.Duration{time.Second}},
		{"a Retry-After past the longest wait is cut to it", read, []string{"429:120"}, 0, 200, 2, []time.Duration{time.Second}},
		{"a 429 without Retry-After backs off", read, []string{"429"}, 0, 200, 2, []time.Duration{100 * time.Millisecond}},
		{"a read out of attempts", read, []string{"502", "502", "502", "502", "502"}, 0, 502, 4,
			[]time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}},
		{"a read out of time", read, []string{"429:5"}, 500 * time.Millisecond, 429, 1, nil},
		{"a write is not resent", write, []string{"502"}, 0, 502, 1, nil},
		{"a batch with a write is not resent", mixed, []string{"503"}, 0, 503, 1, nil},
		{"a write dropped is not resent", write, []string{"reset"}, 0, 0, 1, nil},
		{"a 500 is the node's answer, not resent", read, []string{"500"}, 0, 500, 1, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &script{steps: tt.steps}
			srv := httptest.NewServer(s)
			defer srv.Close()
			reg := prometheus.NewRegistry()
			tr, err := New(nil, cfg, faultlog.New(slog.New(slog.DiscardHandler), "node requests", time.Minute, nil), reg)
			if err != nil {
				t.Fatal(err)
			}
			var waits []time.Duration
			tr.wait = func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			tr.rand = func() float64 { return 1 }
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader(tt.body))
			resp, err := (&http.Client{Transport: tr}).Do(req)
			status := 0
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				status = resp.StatusCode
				if status == 200 && !strings.Contains(string(b), `"result"`) {
					t.Errorf("answer %q", b)
				}
				if status != 200 && len(b) > faultlog.MaxErrText+len("…(cut)") {
					t.Errorf("error page of %d bytes passed on, want at most %d", len(b), faultlog.MaxErrText)
				}
			}
			if status != tt.status {
				t.Errorf("status %d (%v), want %d", status, err, tt.status)
			}
			if s.requests() != tt.sent {
				t.Errorf("%d requests sent, want %d", s.requests(), tt.sent)
			}
			if fmt.Sprint(waits) != fmt.Sprint(tt.waits) {
				t.Errorf("waits %v, want %v", waits, tt.waits)
			}
			retried := testutil.ToFloat64(tr.failed.WithLabelValues("http_502", "retried")) +
				testutil.ToFloat64(tr.failed.WithLabelValues("http_503", "retried")) +
				testutil.ToFloat64(tr.failed.WithLabelValues("http_504", "retried")) +
				testutil.ToFloat64(tr.failed.WithLabelValues("http_429", "retried")) +
				testutil.ToFloat64(tr.failed.WithLabelValues("connection", "retried"))
			if int(retried) != len(tt.waits) {
				t.Errorf("avssync_rpc_failed_attempts_total{outcome=retried} %v, want %d", retried, len(tt.waits))
			}
		})
	}
}

// TestGethClient checks go-ethereum's client through the transport: a read that met a 502 is
// answered, and the error of one that ran out of attempts is short.
func TestGethClient(t *testing.T) {
	s := &script{steps: []string{"502", "ok", "503", "503"}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	tr, err := New(nil, Config{Attempts: 2, First: time.Millisecond, Max: time.Millisecond},
		faultlog.New(slog.New(slog.DiscardHandler), "node requests", time.Minute, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rpc.DialOptions(context.Background(), srv.URL, rpc.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var n string
	if err := c.CallContext(context.Background(), &n, "eth_blockNumber"); err != nil || n != "0x10" {
		t.Fatalf("eth_blockNumber %q, %v; want 0x10 after one retry", n, err)
	}
	err = c.CallContext(context.Background(), &n, "eth_blockNumber")
	if err == nil || !strings.Contains(err.Error(), "503") || len(err.Error()) > 300 {
		t.Fatalf("error %q (%d bytes), want a short 503", err, len(fmt.Sprint(err)))
	}
}

func TestForBlockTime(t *testing.T) {
	for _, tt := range []struct {
		block       time.Duration
		first, most time.Duration
	}{
		{0, 250 * time.Millisecond, 3 * time.Second},
		{12 * time.Second, 250 * time.Millisecond, 3 * time.Second},
		{2 * time.Second, 62500 * time.Microsecond, 500 * time.Millisecond},
		{100 * time.Millisecond, 5 * time.Millisecond, 25 * time.Millisecond},
	} {
		c := ForBlockTime(tt.block)
		if c.First != tt.first || c.Max != tt.most || c.Attempts != DefaultConfig.Attempts {
			t.Errorf("ForBlockTime(%v) = %+v, want first %v, max %v", tt.block, c, tt.first, tt.most)
		}
	}
}
