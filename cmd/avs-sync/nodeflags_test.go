package main

import (
	"strings"
	"testing"
	"time"
)

func TestNodeFlagsLimits(t *testing.T) {
	ok := NodeFlags{EthHTTPURL: "http://127.0.0.1:8545", MaxLogRange: 2000, RPCBatchSize: 500, ReaderTimeoutDuration: 5 * time.Second, PollInterval: 2 * time.Second}
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults rejected: %v", err)
	}
	for _, c := range []struct {
		name string
		edit func(*NodeFlags)
		want string
	}{
		{"zero log range", func(n *NodeFlags) { n.MaxLogRange = 0 }, "--max-log-range"},
		{"huge log range", func(n *NodeFlags) { n.MaxLogRange = maxLogRange + 1 }, "--max-log-range"},
		{"zero batch", func(n *NodeFlags) { n.RPCBatchSize = 0 }, "--rpc-batch-size"},
		{"negative batch", func(n *NodeFlags) { n.RPCBatchSize = -1 }, "--rpc-batch-size"},
		{"huge batch", func(n *NodeFlags) { n.RPCBatchSize = maxBatchSize + 1 }, "--rpc-batch-size"},
		{"negative rate limit", func(n *NodeFlags) { n.RPCRateLimit = -1 }, "--rpc-rate-limit"},
		{"negative block time", func(n *NodeFlags) { n.BlockTime = -time.Second }, "--block-time"},
		{"zero reader timeout", func(n *NodeFlags) { n.ReaderTimeoutDuration = 0 }, "--reader-timeout-duration"},
		{"poll interval too short", func(n *NodeFlags) { n.PollInterval = time.Millisecond }, "--poll-interval"},
	} {
		n := ok
		c.edit(&n)
		err := n.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %s", c.name, err, c.want)
		}
	}
}

// /healthz must not fail while the loop waits, within its read timeouts, on a slow node.
func TestLoopStallAllowsReads(t *testing.T) {
	for _, tt := range []struct {
		stall, read time.Duration
		ok          bool
	}{
		{2 * time.Minute, 5 * time.Second, true},
		{2 * time.Minute, 14 * time.Second, true},  // 5 s heartbeat + 112 s
		{2 * time.Minute, 15 * time.Second, false}, // 5 s heartbeat + 120 s
		{46 * time.Second, 5 * time.Second, true},
		{45 * time.Second, 5 * time.Second, false},
		{6 * time.Second, 500 * time.Millisecond, true}, // 1.5 s heartbeat + 4 s
		{5 * time.Second, 500 * time.Millisecond, false},
		{0, time.Hour, true}, // the check is off
	} {
		err := MetricsFlags{MaxLoopStall: tt.stall}.allowsReads(tt.read)
		if (err == nil) != tt.ok {
			t.Errorf("--max-loop-stall %v with --reader-timeout-duration %v: %v, want ok %v", tt.stall, tt.read, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "--max-loop-stall") {
			t.Errorf("error %q does not name the flag", err)
		}
	}
}

// The metrics server closes idle connections after a minute unless told otherwise (tests do).
func TestMetricsServerLimits(t *testing.T) {
	if got := (MetricsFlags{}).ServerLimits(); got.IdleTimeout != time.Minute || got.WriteTimeout <= 0 || got.MaxConns <= 0 {
		t.Errorf("default limits %+v, want a 1m idle timeout, a write timeout and a connection cap", got)
	}
	if got := (MetricsFlags{IdleTimeout: 2 * time.Second}).ServerLimits().IdleTimeout; got != 2*time.Second {
		t.Errorf("--metrics-idle-timeout 2s gives %v", got)
	}
	for _, d := range []time.Duration{-time.Second, time.Millisecond} {
		if err := (MetricsFlags{IdleTimeout: d}).Validate(); err == nil || !strings.Contains(err.Error(), "--metrics-idle-timeout") {
			t.Errorf("--metrics-idle-timeout %v: %v, want an error naming the flag", d, err)
		}
	}
}
