// Package rpcretry retries a node's idempotent reads where they fail: an HTTP JSON-RPC request
// whose every call is a read is sent again after a 429, a gateway's 502/503/504 or a dropped
// connection, a few times with jittered backoff, so that one failed request costs one more
// request, not a whole cycle of the loop. A 429's Retry-After is honoured up to the longest wait.
// Writes (eth_sendRawTransaction) are never resent here: the sender has its own rules for them.
package rpcretry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/faultlog"
	"github.com/avs-sync/avs-sync/internal/backoff"
	"github.com/avs-sync/avs-sync/internal/metricsreg"
	"github.com/avs-sync/avs-sync/rpclimit"
	"github.com/avs-sync/avs-sync/rpcmetrics"
)

// reads are the methods whose request may be sent twice: they change nothing on the node.
var reads = map[string]bool{
	"eth_call": true, "eth_getLogs": true, "eth_getBlockByNumber": true, "eth_getBlockByHash": true,
	"eth_getBalance": true, "eth_blockNumber": true, "eth_chainId": true, "net_version": true,
	"eth_getTransactionReceipt": true, "eth_getTransactionByHash": true, "eth_getTransactionCount": true,
	"eth_estimateGas": true, "eth_gasPrice": true, "eth_maxPriorityFeePerGas": true, "eth_feeHistory": true,
	"eth_getCode": true, "eth_getStorageAt": true, "eth_syncing": true,
}

// Config bounds the retries of one request.
type Config struct {
	// Attempts is how many times a read is sent at most, the first included.
	Attempts int
	// First is the wait before the first retry; each retry waits up to twice the last (half of it
	// at random, so that clients that failed together do not come back together), up to Max. A
	// 429's Retry-After raises a wait, up to Max.
	First, Max time.Duration
}

// DefaultConfig retries a read seven times over at most about 13 s: a provider failing two
// requests in five still answers all but one read in 1500 within them.
var DefaultConfig = Config{Attempts: 8, First: 250 * time.Millisecond, Max: 3 * time.Second}

// ForBlockTime scales the waits to the chain: a wait of more than a quarter block makes the read's
// block older than the next head, and the loop reads again at that head anyway. 0 (not known)
// keeps the defaults, made for 12 s blocks.
func ForBlockTime(blockTime time.Duration) Config {
	c := DefaultConfig
	if blockTime > 0 {
		c.Max = min(c.Max, max(blockTime/4, 20*time.Millisecond))
		c.First = min(c.First, max(c.Max/8, 5*time.Millisecond))
	}
	return c
}

// Transport is an http.RoundTripper that retries reads.
type Transport struct {
	base  http.RoundTripper
	cfg   Config
	fault *faultlog.Fault
	// failed counts failed attempts by reason and what became of the request (retried, given up,
	// not retried: a write).
	failed *prometheus.CounterVec
	now    func() time.Time
	wait   func(ctx context.Context, d time.Duration) error
	rand   func() float64
}

// New wraps base (nil: http.DefaultTransport). fault follows the failures for the log (one line per
// fault, not per failure); reg receives avssync_rpc_failed_attempts_total (nil: not exported).
func New(base http.RoundTripper, cfg Config, fault *faultlog.Fault, reg prometheus.Registerer) (*Transport, error) {
	if base == nil {
		base = http.DefaultTransport
	}
	failed := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "avssync", Name: "rpc_failed_attempts_total",
		Help: "HTTP JSON-RPC requests the node failed, by reason (http_429, http_502, ..., connection) and outcome: retried (a read, sent again), gave_up (a read out of attempts or time), not_retried (a write)."},
		[]string{"reason", "outcome"})
	if err := metricsreg.All(reg, "node request", failed); err != nil {
		return nil, err
	}
	return &Transport{base: base, cfg: cfg, fault: fault, failed: failed, now: time.Now, wait: backoff.Sleep, rand: rand.Float64}, nil
}

// RoundTrip sends req, again while it is a read that failed for a passing reason.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	retry := isRead(body)
	ctx := req.Context()
	policy := backoff.Policy{First: t.cfg.First, Max: t.cfg.Max, Rand: t.rand}
	for attempt := 1; ; attempt++ {
		resp, err := t.base.RoundTrip(withBody(req, body))
		if retry && err == nil && resp.StatusCode/100 == 2 {
			// A connection reset halfway through the reply is a failure like any other.
			resp, err = readWhole(resp)
		}
		reason := failure(resp, err)
		if reason == "" {
			t.fault.OK()
			return cut(resp), err
		}
		t.fault.Fail(describe(resp, err))
		outcome := "retried"
		wait := policy.Delay(attempt)
		if ra := retryAfter(resp, t.now()); ra > wait {
			wait = min(ra, t.cfg.Max)
		}
		switch {
		case !retry:
			outcome = "not_retried"
		case attempt >= t.cfg.Attempts || ctx.Err() != nil || errors.Is(err, rpclimit.ErrTooLarge):
			outcome = "gave_up"
		default:
			if dl, ok := ctx.Deadline(); ok && t.now().Add(wait).After(dl) {
				outcome = "gave_up"
			}
		}
		t.failed.WithLabelValues(reason, outcome).Inc()
		if outcome != "retried" {
			return cut(resp), err
		}
		if resp != nil {
			resp.Body.Close()
		}
		if werr := t.wait(ctx, wait); werr != nil {
			return nil, fmt.Errorf("retry after %s: %w", reason, werr)
		}
	}
}

// isRead reports whether every call of a JSON-RPC request or batch is a read.
func isRead(body []byte) bool {
	methods := rpcmetrics.Methods(body)
	for _, m := range methods {
		if !reads[m] {
			return false
		}
	}
	return len(methods) > 0
}

// failure names why an attempt failed in a way worth another attempt; "" if it did not.
func failure(resp *http.Response, err error) string {
	if err != nil {
		if errors.Is(err, rpclimit.ErrTooLarge) {
			return "too_large"
		}
		return "connection"
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout,
		http.StatusRequestTimeout:
		return "http_" + strconv.Itoa(resp.StatusCode)
	}
	return ""
}

// describe is the error of a failed attempt, for the log.
func describe(resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	return errors.New(resp.Status)
}

// retryAfter is the wait a 429 or 503 asks for in its Retry-After header (seconds or a date); 0 if
// none.
func retryAfter(resp *http.Response, now time.Time) time.Duration {
	if resp == nil {
		return 0
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(0, at.Sub(now))
	}
	return 0
}

// withBody is req with a fresh reader of body.
func withBody(req *http.Request, body []byte) *http.Request {
	r := req.Clone(req.Context())
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	return r
}

// readWhole reads resp's body into memory, so that a failure to read it can be retried.
func readWhole(resp *http.Response) (*http.Response, error) {
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read reply: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// cut bounds the body of a failed reply (a gateway's error page), which go-ethereum carries whole
// into the error text, to faultlog.MaxErrText bytes.
func cut(resp *http.Response) *http.Response {
	if resp == nil || resp.StatusCode/100 == 2 {
		return resp
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, faultlog.MaxErrText+1))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader([]byte(faultlog.Cut(string(b)))))
	resp.ContentLength = -1
	return resp
}
